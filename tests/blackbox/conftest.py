"""Black-box tests: a real pz server attacked over HTTP, as an outsider would.

`shop` starts pytest-django's live server (a real HTTP server on a free port, on the test
database) with what an attacker meets in the demo shop: customer 13748 with a name, an
e-mail address and orders, and a placement that greets visitors by name. Tests talk to it
with `requests` only; what the shop's backend alone knows (a server key, the identity
secret) is handed to the tests that play the shop, never to the outsider.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
from django.conf import settings

CUSTOMER_ID = "13748"
CUSTOMER_NAME = "Ada"
CUSTOMER_EMAIL = "ada.lovelace@example.com"
GREETING = "greeting"


@dataclass(frozen=True)
class Shop:
    url: str
    customer_id: str
    customer_visitor_id: str
    server_key: str  # the shop backend's; outsiders do not have it
    identity_secret: str  # likewise

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1/{path}"


def load_attack_surface() -> tuple[str, str]:
    """The customer and the greeting placement; returns (customer visitor id, server key)."""
    from content.tests.factories import component, placement
    from core.services import create_server_key
    from tracking.services import import_customer_attributes, ingest_events, known_profile

    import_customer_attributes(
        io.StringIO(
            f"customer_id,first_name,email,loyalty_tier\n"
            f"{CUSTOMER_ID},{CUSTOMER_NAME},{CUSTOMER_EMAIL},gold\n"
        )
    )
    visitor_id = known_profile(CUSTOMER_ID).visitor_id
    ingest_events(
        [
            {
                "type": "purchase",
                "visitor_id": visitor_id,
                "properties": {"order_id": f"o-{n}", "revenue": 250.0},
            }
            for n in range(3)
        ]
    )
    greeting = component(GREETING, heading='Hello {{ visitor.first_name|default:"friend" }}')
    placement(GREETING, [{"key": "default", "component": greeting, "is_fallback": True}])
    return visitor_id, create_server_key(name="shop backend")[1]


@pytest.fixture
def shop(live_server) -> Shop:
    visitor_id, server_key = load_attack_surface()
    return Shop(
        url=live_server.url,
        customer_id=CUSTOMER_ID,
        customer_visitor_id=visitor_id,
        server_key=server_key,
        identity_secret=settings.PZ_IDENTITY_SECRET,
    )


@pytest.fixture
def outsider() -> Callable[[], requests.Session]:
    """New browsers of an attacker: no cookie, no key, nothing the shop told them."""
    sessions: list[requests.Session] = []

    def make() -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = "blackbox-attacker/1.0"
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
