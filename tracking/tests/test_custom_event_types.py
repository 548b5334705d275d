"""Custom event types: registered by API or admin, accepted and type-checked at ingest
(their use in rules and triggers: triggers/tests/test_custom_event_rules.py)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracking.models import Event, EventTypeDefinition
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db
WISHLIST = {"name": "wishlist_add", "properties": {"product_id": "string", "price": "number"}}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def register(staff_client, body=WISHLIST):
    response = post(staff_client, "/api/v1/event-types", body)
    assert response.status_code == 201, response.json()
    return response.json()


def wishlist(visitor_id="v1", price=30.0, **extra):
    return {
        "type": "wishlist_add",
        "visitor_id": visitor_id,
        "properties": {"product_id": "SKU-1", "price": price, **extra},
    }


def test_an_unknown_type_is_rejected_per_event_saying_how_to_register_it(server_api_client):
    body = post(server_api_client, "/api/v1/events", {"events": [wishlist()]}).json()
    assert body["accepted"] == 0
    reason = body["rejected"][0]["errors"]["type"]
    assert "wishlist_add" in reason and "POST /api/v1/event-types" in reason


def test_a_registered_type_is_accepted_and_its_properties_type_checked(
    staff_client, server_api_client
):
    assert register(staff_client) == {
        "name": "wishlist_add",
        "label": "wishlist_add",
        "builtin": False,
        "properties": {"product_id": "string", "price": "number"},
    }
    events = [wishlist(size=42), wishlist(price="cheap"), {"type": "page_view", "visitor_id": "v1"}]
    body = post(server_api_client, "/api/v1/events", {"events": events}).json()
    assert body["accepted"] == 2
    assert body["rejected"] == [{"index": 1, "errors": {"properties.price": "must be a number"}}]
    stored = Event.objects.get(type="wishlist_add")
    assert stored.properties == {"product_id": "SKU-1", "price": 30.0, "size": "42"}


def test_the_listing_has_built_in_and_custom_types_with_their_schema(staff_client):
    register(staff_client)
    listing = {row["name"]: row for row in staff_client.get("/api/v1/event-types").json()}
    assert listing["purchase"]["builtin"] is True
    assert listing["purchase"]["properties"]["revenue"] == "number"
    assert listing["wishlist_add"]["properties"] == WISHLIST["properties"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "Wishlist Add"}, 400, "name"),
        ({"name": "purchase"}, 409, "name"),
        ({"name": "x_y", "properties": {"price": "money"}}, 400, "properties.price"),
        ({"name": "x_y", "properties": ["price"]}, 400, "properties"),
    ],
)
def test_bad_registrations_are_refused_naming_the_field(staff_client, body, status, field):
    response = post(staff_client, "/api/v1/event-types", body)
    assert response.status_code == status
    assert field in response.json()["error"]["fields"]


def test_registering_twice_is_a_conflict_and_outsiders_are_refused(
    staff_client, api_client, server_api_client
):
    register(staff_client)
    assert post(staff_client, "/api/v1/event-types", WISHLIST).status_code == 409
    assert post(api_client, "/api/v1/event-types", {"name": "x_y"}).status_code in (401, 403)
    assert post(server_api_client, "/api/v1/event-types", {"name": "x_y"}).status_code in (
        401,
        403,
    )
    assert EventTypeDefinition.objects.count() == 1


def test_ingest_reads_the_definitions_once_per_configuration_version(staff_client):
    register(staff_client)
    ingest_events([wishlist()])  # loads the definitions for this version
    with CaptureQueriesContext(connection) as queries:
        result = ingest_events([wishlist("v2")])
    assert result.accepted == 1
    assert not [q for q in queries.captured_queries if "eventtypedefinition" in q["sql"]]


def test_the_admin_registers_and_edits_a_type(admin_client, server_api_client):
    response = admin_client.post(
        "/admin/event_types/new/",
        {"name": "wishlist_add", "label": "Added to wishlist", "properties_text": "price: number"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = EventTypeDefinition.objects.get()
    assert row.properties == {"price": "number"}
    listing = admin_client.get("/admin/event_types/").content.decode()
    assert "Added to wishlist" in listing and "price (number)" in listing
    bad = admin_client.post(
        f"/admin/event_types/edit/{row.pk}/", {"label": "x", "properties_text": "price: money"}
    )
    assert bad.status_code == 200 and "the type is one of" in bad.content.decode()
    admin_client.post(
        f"/admin/event_types/edit/{row.pk}/", {"label": "x", "properties_text": "gift: boolean"}
    )
    body = post(server_api_client, "/api/v1/events", {"events": [wishlist(gift="yes")]}).json()
    assert body["rejected"][0]["errors"] == {"properties.gift": "must be true or false"}
