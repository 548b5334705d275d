"""`login` from a browser needs the shop backend's identity token; a server key is
trusted with the user_id. Raw customer ids are never stored (API.md "Callers and
identity")."""

import importlib
import json
import time

import pytest
from django.apps import apps
from django.conf import settings

from core.identity_tokens import make_identity_token
from tracking.customer_keys import customer_key
from tracking.models import Event, VisitorAlias, VisitorProfile
from tracking.services import ingest_events, known_profile

pytestmark = pytest.mark.django_db


def post_events(client, *events):
    response = client.post(
        "/api/v1/events", json.dumps({"events": list(events)}), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    return response.json()


def login(user_id: str, **properties) -> dict:
    return {"type": "login", "properties": {"user_id": user_id, **properties}}


def token_for(user_id: str, *, age: float = 0.0) -> str:
    return make_identity_token(user_id, secret=settings.PZ_IDENTITY_SECRET, now=time.time() - age)


@pytest.fixture
def customer():
    """Customer 13748 with a purchase history under their own visitor id."""
    profile = known_profile("13748")
    ingest_events(
        [
            {
                "type": "purchase",
                "visitor_id": profile.visitor_id,
                "properties": {"order_id": "o-1", "revenue": 420.0},
            }
        ]
    )
    return profile


@pytest.mark.parametrize(
    "properties",
    [
        {},
        {"identity_token": "13748.1.0000"},
        {"identity_token": "forged"},
        {"identity_token": token_for("99999")},
        {"identity_token": token_for("13748", age=601)},
    ],
    ids=["none", "malformed", "garbage", "other-user", "expired"],
)
def test_a_browser_login_without_a_valid_token_is_rejected_and_merges_nothing(
    client, customer, properties
) -> None:
    body = post_events(client, {"type": "page_view"}, login("13748", **properties))

    assert body["accepted"] == 1
    assert body["rejected"][0]["index"] == 1
    assert "identity_token" in body["rejected"][0]["errors"]
    assert not VisitorAlias.objects.exists()
    assert VisitorProfile.objects.get(visitor_id=body["visitor_id"]).customer_key is None
    assert not Event.objects.filter(type="login").exists()
    # The caller's cookie still opens only its own, anonymous data.
    assert client.get(f"/api/v1/visitors/{customer.visitor_id}").status_code == 403
    assert client.get(f"/api/v1/visitors/{customer.visitor_id}/export").status_code == 403
    assert client.delete(f"/api/v1/visitors/{customer.visitor_id}").status_code == 403
    assert VisitorProfile.objects.get(pk=customer.pk).revenue == 420.0


def test_a_browser_login_with_the_shops_token_stitches(client, customer) -> None:
    body = post_events(
        client, {"type": "page_view"}, login("13748", identity_token=token_for("13748"))
    )

    assert body["rejected"] == [] and body["accepted"] == 2
    assert VisitorAlias.objects.get(alias_id=body["visitor_id"]).visitor_id == customer.visitor_id


def test_a_server_key_is_trusted_with_the_user_id(server_api_client, customer) -> None:
    body = post_events(server_api_client, {**login("13748"), "visitor_id": "from-backend"})

    assert body["accepted"] == 1
    assert VisitorAlias.objects.get(alias_id="from-backend").visitor_id == customer.visitor_id


def test_only_the_keyed_hash_of_the_customer_id_is_stored_or_exported(client, staff_client) -> None:
    token = token_for("cust-5150")
    body = post_events(client, login("cust-5150", identity_token=token, channel="web"))

    stored = Event.objects.get(type="login")
    key = customer_key("cust-5150", settings.PZ_CUSTOMER_ID_PEPPER)
    assert stored.properties == {"customer_key": key, "channel": "web"}
    export = json.dumps(staff_client.get(f"/api/v1/visitors/{body['visitor_id']}/export").json())
    assert "cust-5150" not in export and token not in export
    assert key in export


def test_stored_logins_are_pseudonymized_by_the_data_migration() -> None:
    raw = Event.objects.create(
        visitor_id="v-old",
        type="login",
        timestamp="2026-01-01T00:00:00Z",
        received_at="2026-01-01T00:00:00Z",
        properties={"user_id": 12347, "identity_token": "x.1.y", "source": "app"},
    )
    untouched = Event.objects.create(
        visitor_id="v-old",
        type="search",
        timestamp="2026-01-01T00:00:00Z",
        received_at="2026-01-01T00:00:00Z",
        properties={"query": "user_id"},
    )
    migration = importlib.import_module("tracking.migrations.0004_pseudonymize_login_user_ids")

    migration.pseudonymize_login_user_ids(apps, None)

    raw.refresh_from_db()
    untouched.refresh_from_db()
    key = customer_key("12347", settings.PZ_CUSTOMER_ID_PEPPER)
    assert raw.properties == {"customer_key": key, "source": "app"}
    assert untouched.properties == {"query": "user_id"}
