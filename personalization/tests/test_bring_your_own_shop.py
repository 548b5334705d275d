"""Done when (#15): a shop's own event (`wishlist_add`) and its own attribute
(`loyalty_tier`) end up in a segment that targets content, over HTTP, with no code change."""

import json

import pytest

from content.tests.factories import component, placement
from segments.models import Segment
from segments.services import recompute_segment

pytestmark = pytest.mark.django_db


def send(client, method, url, body):
    response = getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code < 300, response.content
    return response.json()


def test_a_custom_event_and_attribute_target_content(staff_client, server_api_client, settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    # The shop describes its own data (staff API; the admin has the same screens).
    send(
        staff_client,
        "post",
        "/api/v1/event-types",
        {"name": "wishlist_add", "properties": {"product_id": "string", "price": "number"}},
    )
    send(staff_client, "post", "/api/v1/attributes",
         {"key": "loyalty_tier", "type": "string", "choices": ["gold", "silver"]})  # fmt: skip
    # Its backend sends customers and events with a server key.
    send(server_api_client, "put", "/api/v1/customers", {"customers": [
        {"customer_id": "C-1", "attributes": {"loyalty_tier": "gold"}},
        {"customer_id": "C-2", "attributes": {"loyalty_tier": "silver"}},
    ]})  # fmt: skip
    events = [
        {"type": "login", "visitor_id": "v-ada", "properties": {"user_id": "C-1"}},
        {"type": "wishlist_add", "visitor_id": "v-ada",
         "properties": {"product_id": "SKU-1", "price": 49.9}},
        {"type": "login", "visitor_id": "v-ben", "properties": {"user_id": "C-2"}},
        {"type": "wishlist_add", "visitor_id": "v-ben", "properties": {"product_id": "SKU-1"}},
        {"type": "wishlist_add", "visitor_id": "v-cy", "properties": {"product_id": "SKU-1"}},
    ]  # fmt: skip
    report = send(server_api_client, "post", "/api/v1/events", {"events": events})
    assert (report["accepted"], report["rejected"]) == (5, [])
    # A marketer's segment on both, and content targeting it.
    send(staff_client, "post", "/api/v1/segments", {
        "key": "gold-wishers", "name": "Gold wishers", "kind": "rule",
        "rule": {"all": [
            {"field": "attributes.loyalty_tier", "op": "eq", "value": "gold"},
            {"events": {"type": "wishlist_add", "within": "30d"}, "op": "gte", "value": 1},
        ]},
    })  # fmt: skip
    recompute_segment(segment_id=Segment.objects.get(key="gold-wishers").pk)
    placement("home-hero", [
        {"key": "default", "component": component("hero-welcome"), "is_fallback": True},
        {"key": "gold", "component": component("hero-gold", heading="Your wishlist, gold"),
         "priority": 100, "segments_any": ["gold-wishers"]},
    ])  # fmt: skip

    def decided(visitor_id):
        body = send(server_api_client, "post", "/api/v1/decide",
                    {"visitor_id": visitor_id, "placements": ["home-hero"]})  # fmt: skip
        return body["placements"]["home-hero"]["variant"], body["segments"]

    assert decided("v-ada") == ("gold", ["gold-wishers"])
    assert decided("v-ben")[0] == "default"  # silver
    assert decided("v-cy")[0] == "default"  # no loyalty tier on file
