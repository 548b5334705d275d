"""Segment's HTTP tracking API at /api/v1/integrations/segment: spec v2 e-commerce names
as pz events, anonymousId/userId/messageId mapping, identify from server keys only."""

import base64
import json
import uuid

import pytest
from django.conf import settings

from integrations.segment_format import event_id_of
from tracking.customer_keys import customer_key
from tracking.definitions import attribute_define, event_type_register
from tracking.models import Event, VisitorProfile

pytestmark = pytest.mark.django_db
URL = "/api/v1/integrations/segment"


def post(client, body, url=URL, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def track(event, properties=None, **fields):
    return {"type": "track", "event": event, "anonymousId": "anon-1",
            "properties": properties or {}, **fields}  # fmt: skip


def test_spec_v2_events_become_pz_events(server_api_client):
    batch = [
        track("Product Viewed", {"product_id": "SKU-1", "price": 49.9, "category": "home"}),
        track("Product Added", {"sku": "SKU-1", "price": 49.9, "quantity": 2}),
        track(
            "Order Completed",
            {
                "order_id": "O-1",
                "total": 99.8,
                "currency": "EUR",
                "products": [{"product_id": "SKU-1", "price": 49.9, "quantity": 2}],
            },
        ),  # fmt: skip
        track("Products Searched", {"query": "lamp"}),
        {
            "type": "page",
            "anonymousId": "anon-1",
            "name": "Home",
            "properties": {"url": "https://shop.example/", "referrer": "https://news.example/"},
            "context": {"campaign": {"source": "mail", "name": "spring"}},
        },  # fmt: skip
    ]
    body = post(server_api_client, {"batch": batch}).json()
    assert (body["accepted"], body["rejected"]) == (5, [])
    stored = {event.type: event for event in Event.objects.filter(visitor_id="anon-1")}
    assert stored["product_view"].properties == {
        "product_id": "SKU-1", "price": 49.9, "category": "home"
    }  # fmt: skip
    assert stored["add_to_cart"].properties["quantity"] == 2
    assert stored["purchase"].properties == {
        "order_id": "O-1", "revenue": 99.8, "currency": "EUR",
        "items": [{"product_id": "SKU-1", "price": 49.9, "quantity": 2}],
    }  # fmt: skip
    assert stored["search"].properties == {"query": "lamp"}
    page = stored["page_view"]
    assert page.context["url"] == "https://shop.example/"
    assert (page.context["utm_source"], page.context["utm_campaign"]) == ("mail", "spring")
    assert VisitorProfile.objects.get(visitor_id="anon-1").orders == 1


def test_unknown_names_are_rejected_per_message_and_custom_types_accepted(server_api_client):
    event_type_register(name="product_added_to_wishlist", properties={"price": "number"})
    batch = [
        track("Coupon Entered"),
        track("Product Added to Wishlist", {"price": 5}),
        {"type": "alias", "anonymousId": "a", "previousId": "b"},
        {"type": "track", "event": "Product Viewed", "properties": {"product_id": "x"}},
    ]
    body = post(server_api_client, {"batch": batch}).json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [0, 2, 3]
    assert "coupon_entered" in body["rejected"][0]["errors"]["type"]
    assert "anonymousId" in body["rejected"][2]["errors"]
    assert Event.objects.get().type == "product_added_to_wishlist"


def test_ids_map_to_visitor_ids_and_event_ids(server_api_client):
    batch = [
        track("Product Viewed", {"product_id": "A"}, anonymousId="not a pz id!", messageId="m-1"),
        track("Product Viewed", {"product_id": "A"}, anonymousId="not a pz id!", messageId="m-1"),
        track("Product Viewed", {"product_id": "B"}, anonymousId=None, userId="C-7"),
    ]
    body = post(server_api_client, {"batch": batch}).json()
    assert (body["accepted"], body["duplicates"]) == (3, 1)
    hashed = Event.objects.get(properties__product_id="A")
    assert hashed.visitor_id.startswith("sg") and len(hashed.visitor_id) == 42
    assert hashed.event_id == uuid.UUID(event_id_of("m-1"))
    key = customer_key("C-7", settings.PZ_CUSTOMER_ID_PEPPER)
    known = VisitorProfile.objects.get(customer_key=key)
    assert Event.objects.get(properties__product_id="B").visitor_id == known.visitor_id


def test_identify_stitches_and_keeps_defined_traits(server_api_client):
    attribute_define(key="loyalty_tier", type="string", choices=["gold", "silver"])
    post(server_api_client, track("Product Viewed", {"product_id": "A"}))
    body = post(
        server_api_client,
        {"userId": "C-1", "anonymousId": "anon-1",
         "traits": {"email": "ada@example.com", "loyalty_tier": "gold", "plan": "x"}},
        f"{URL}/v1/identify",
    ).json()  # fmt: skip
    assert body["accepted"] == 1
    profile = VisitorProfile.objects.get(visitor_id="anon-1")
    assert profile.customer_key == customer_key("C-1", settings.PZ_CUSTOMER_ID_PEPPER)
    assert profile.attributes == {"email": "ada@example.com", "loyalty_tier": "gold"}
    assert "C-1" not in json.dumps(list(Event.objects.values("properties")))


def test_only_server_keys_may_call_it(api_client, staff_client, server_key):
    message = track("Product Viewed", {"product_id": "A"})
    assert post(api_client, message).status_code in (401, 403)
    assert post(staff_client, message).status_code in (401, 403)
    wrong = base64.b64encode(b"pz_sk_wrong:").decode()
    assert post(api_client, message, HTTP_AUTHORIZATION=f"Basic {wrong}").status_code == 401
    basic = base64.b64encode(f"{server_key}:".encode()).decode()
    response = post(api_client, message, f"{URL}/v1/track", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200 and response.json()["accepted"] == 1
    assert Event.objects.count() == 1


def test_bad_bodies_are_400s(server_api_client):
    assert post(server_api_client, {"batch": "x"}).status_code == 400
    too_many = {"batch": [track("Product Viewed", {"product_id": "A"})] * 1001}
    assert post(server_api_client, too_many).status_code == 400
    assert post(server_api_client, [1]).status_code == 400
