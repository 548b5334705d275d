"""Black-box attacks over HTTP on a running server (Django's `live_server`): what an
outsider or a staff account can send, and what must not work.

- a webhook aimed at this machine (loopback) is refused when the trigger is saved
  through the admin, and nothing is ever sent to it;
- revenue that overflows a profile (1e308 twice, 1e999), lone surrogates and
  timestamps at the ends of the calendar are rejected per event, never a 500, and every
  later read (the visitor's profile and export, the CTR report, segments) still works.

The browser caller acts for the visitor of its own cookie (no `visitor_id` in bodies),
as the identity rules require; staff reads use a superuser's API token.
"""

import http.server
import re
import threading
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
import requests

pytestmark = [pytest.mark.django_db(transaction=True)]

TIMEOUT = 10
RECENT = "2026-01-01T00:00:00Z"  # replaced per test by a time just before now


@pytest.fixture
def server(live_server) -> str:
    return live_server.url


@pytest.fixture
def staff(django_user_model) -> requests.Session:
    from rest_framework.authtoken.models import Token

    user = django_user_model.objects.create_superuser("bb-admin", "bb@example.com", "pw-bb-123")
    session = requests.Session()
    session.headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
    return session


@pytest.fixture
def shopper(server) -> tuple[requests.Session, str]:
    """A browser with its own visitor cookie and tracking consent; returns its id."""
    session = requests.Session()
    response = session.post(
        f"{server}/api/v1/consent",
        json={"tracking": True, "personalization": True},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    visitor_id = (
        response.json().get("visitor_id") or unquote(session.cookies["pz_vid"]).split(":")[0]
    )
    return session, visitor_id


def now_iso() -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")


def post_raw(session: requests.Session, url: str, raw: str) -> requests.Response:
    return session.post(
        url, data=raw.encode(), headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )


def assert_reads_work(server: str, staff: requests.Session, visitor_id: str) -> None:
    for path in (
        f"/api/v1/visitors/{visitor_id}",
        f"/api/v1/visitors/{visitor_id}/export",
        "/api/v1/recommendations/ctr",
        "/api/v1/segments",
    ):
        response = staff.get(f"{server}{path}", timeout=TIMEOUT)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        response.content.decode("utf-8")  # strict UTF-8: no lone surrogate came back


def test_overflowing_revenue_is_rejected_and_the_profile_still_reads(server, staff, shopper):
    session, visitor_id = shopper
    at = now_iso()

    def purchase(order: str, revenue: str) -> str:
        properties = f'{{"order_id": "{order}", "revenue": {revenue}}}'
        return f'{{"type": "purchase", "timestamp": "{at}", "properties": {properties}}}'

    events = [purchase("o1", "10.5"), purchase("o2", "1e308"), purchase("o3", "1e308")]
    raw = '{"events": [' + ", ".join([*events, purchase("o4", "1e999")]) + "]}"

    response = post_raw(session, f"{server}/api/v1/events", raw)

    assert response.status_code == 202, response.text
    report = response.json()
    assert report["accepted"] == 1
    assert [r["index"] for r in report["rejected"]] == [1, 2, 3]
    assert all("properties.revenue" in r["errors"] for r in report["rejected"])
    assert_reads_work(server, staff, visitor_id)
    profile = staff.get(f"{server}/api/v1/visitors/{visitor_id}", timeout=TIMEOUT).text
    assert "Infinity" not in profile and "1e+308" not in profile


def test_a_lone_surrogate_is_rejected_and_the_ctr_report_still_reads(server, staff, shopper):
    session, visitor_id = shopper
    at = now_iso()
    click = '{"type": "click", "timestamp": "AT", "properties": {"placement": "home-hero", '
    raw = (
        '{"events": ['
        + click
        + '"strategy": "\\ud800"}},'
        + '{"type": "page_view", "timestamp": "AT", "context": {"city": "Berlin\\udfff"}},'
        + '{"type": "page_view", "timestamp": "AT", "context": {"\\ud800": "x"}},'
        + click
        + '"strategy": "personal"}}'
        + "]}"
    ).replace("AT", at)

    response = post_raw(session, f"{server}/api/v1/events", raw)

    assert response.status_code == 202, response.text
    response.content.decode("utf-8")  # the report itself is valid UTF-8
    report = response.json()
    assert report["accepted"] == 1
    assert [r["index"] for r in report["rejected"]] == [0, 1, 2]
    assert "properties.strategy" in report["rejected"][0]["errors"]
    assert_reads_work(server, staff, visitor_id)


@pytest.mark.parametrize(
    "timestamp",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59.999999Z"],
)
def test_far_dates_are_rejected_per_event_not_a_500(server, staff, shopper, timestamp):
    session, visitor_id = shopper
    body = {
        "events": [
            {"type": "page_view", "timestamp": timestamp},
            {"type": "page_view", "timestamp": now_iso(), "context": {"url": "/ok"}},
            {"type": "page_view", "timestamp": now_iso(), "context": {"url": "http://[::1/p"}},
        ]
    }
    response = session.post(f"{server}/api/v1/events", json=body, timeout=TIMEOUT)
    assert response.status_code == 202, response.text
    report = response.json()
    assert report["accepted"] == 1
    assert [(r["index"], list(r["errors"])) for r in report["rejected"]] == [
        (0, ["timestamp"]),
        (2, ["context.url"]),
    ]
    assert_reads_work(server, staff, visitor_id)


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/consent", "/api/v1/decide"])
def test_a_list_body_is_a_400_in_the_error_shape(server, path):
    response = requests.post(f"{server}{path}", json=[{"events": []}], timeout=TIMEOUT)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}


class Receiver:
    """A local HTTP endpoint that records whatever reaches it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def admin_session(server: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server}/admin/login/", timeout=TIMEOUT)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{server}/admin/login/",
        data={"csrfmiddlewaretoken": token, "username": "bb-admin", "password": "pw-bb-123"},
        headers={"Referer": f"{server}/admin/login/"},
        timeout=TIMEOUT,
    )
    return session


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/hook",
        "https://127.0.0.1:{port}/hook",
        "https://localhost:{port}/hook",
        "https://[::1]:{port}/hook",
        "https://2130706433:{port}/hook",
        "https://169.254.169.254/latest/meta-data/",
    ],
)
def test_a_loopback_webhook_target_is_refused_and_never_called(
    server, staff, shopper, receiver, target
):
    admin = admin_session(server)
    form = admin.get(f"{server}/admin/triggers/new/", timeout=TIMEOUT)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = admin.post(
        f"{server}/admin/triggers/new/",
        data={
            "csrfmiddlewaretoken": token,
            "name": "Exfiltrate",
            "key": "exfiltrate",
            "enabled": "on",
            "kind": "event",
            "entry_event": "add_to_cart",
            "wait_seconds_0": 0,
            "wait_seconds_1": "minute",
            "conditions": "{}",
            "frequency_cap_count": 1,
            "frequency_cap_seconds_0": 1,
            "frequency_cap_seconds_1": "minute",
            "consent": "tracking",
            "action": "webhook",
            "webhook_url": target.format(port=receiver.port),
            "webhook_secret": "s3cret-value",
            "webhook_timeout_seconds": 2,
            "webhook_max_attempts": 1,
        },
        headers={"Referer": f"{server}/admin/triggers/new/"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200  # the form again, with the error
    refusals = ("must not point at", "Only https", "Enter a valid URL")
    assert any(message in response.text for message in refusals), target
    listing = admin.get(f"{server}/admin/triggers/", timeout=TIMEOUT).text
    assert "Exfiltrate" not in listing

    session, _ = shopper
    event = {"type": "add_to_cart", "properties": {"product_id": "SKU-1"}}
    assert session.post(f"{server}/api/v1/events", json={"events": [event]}, timeout=TIMEOUT).ok
    assert receiver.hits == []
