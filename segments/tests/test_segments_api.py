"""Staff segment API: create with validation that names the failing node, list, members,
recompute, preview, overlap; and staff-only access."""

import json

import pytest

from segments.models import Segment
from segments.services import segment_save
from tracking.services import ingest_events
from tracking.tests.factories import make_event

pytestmark = pytest.mark.django_db(transaction=True)

CART_RULE = {"field": "profile.cart.items", "op": "gt", "value": 0}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_create_list_and_read_a_segment(staff_client):
    ingest_events([make_event("add_to_cart", visitor_id="v1"), make_event(visitor_id="v2")])
    response = post(
        staff_client,
        "/api/v1/segments",
        {"key": "carters", "name": "Carters", "kind": "rule", "rule": CART_RULE},
    )
    assert response.status_code == 201, response.content
    listed = staff_client.get("/api/v1/segments").json()
    assert [(s["key"], s["kind"], s["size"]) for s in listed] == [("carters", "rule", 1)]
    assert set(listed[0]) >= {"key", "name", "kind", "size", "updated_at"}
    detail = staff_client.get("/api/v1/segments/carters").json()
    assert detail["rule"] == CART_RULE and detail["trend"][-1]["size"] == 1


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        (
            {
                "all": [
                    CART_RULE,
                    {"events": {"type": "purchase", "within": "forever"}, "op": "gte", "value": 1},
                ]
            },
            "all[1].events.within",
        ),
        ({"any": [{"field": "profile.orders", "op": "between", "value": 1}]}, "any[0].op"),
        ({"not": {"segment": "nope"}}, "not.segment"),
        ({"all": []}, "all"),
        ("cart", ""),
    ],
)
def test_an_invalid_rule_is_a_400_naming_the_node(staff_client, rule, path):
    response = post(
        staff_client,
        "/api/v1/segments",
        {"key": "bad", "name": "Bad", "kind": "rule", "rule": rule},
    )
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["rule"]
    assert message.startswith(f"{path or '(root)'}:"), message
    assert not Segment.objects.exists()


def test_a_reference_cycle_is_refused(staff_client):
    segment_save(key="a", name="A", rule=CART_RULE)
    segment_save(key="b", name="B", rule={"segment": "a"})
    response = post(
        staff_client, "/api/v1/segments", {"key": "c", "name": "C", "rule": {"segment": "b"}}
    )
    assert response.status_code == 201
    response = staff_client.put(
        "/api/v1/segments/a",
        data=json.dumps({"name": "A", "rule": {"segment": "c"}}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "cycle" in response.json()["error"]["fields"]["rule"]


def test_members_are_paginated_with_since(staff_client):
    ingest_events([make_event("add_to_cart", visitor_id=f"v{i:03d}") for i in range(120)])
    segment_save(key="carters", name="Carters", rule=CART_RULE)
    first = staff_client.get("/api/v1/segments/carters/members?page=1").json()
    second = staff_client.get("/api/v1/segments/carters/members?page=2").json()
    assert first["count"] == 120 and first["pages"] == 2
    assert len(first["results"]) == 100 and len(second["results"]) == 20
    assert set(first["results"][0]) == {"visitor_id", "since"}
    assert staff_client.get("/api/v1/segments/carters/members?page=x").status_code == 400


def test_recompute_is_accepted(staff_client):
    segment_save(key="carters", name="Carters", rule=CART_RULE)
    response = staff_client.post("/api/v1/segments/carters/recompute")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"


def test_preview_counts_before_saving(staff_client):
    ingest_events([make_event("add_to_cart", visitor_id="v1"), make_event(visitor_id="v2")])
    assert post(staff_client, "/api/v1/segments/preview", {"rule": CART_RULE}).json() == {
        "count": 1,
        "suppressed": False,
        "real_time_only": False,
    }
    context_rule = {"field": "context.device", "op": "eq", "value": "mobile"}
    assert (
        post(staff_client, "/api/v1/segments/preview", {"rule": context_rule}).json()[
            "real_time_only"
        ]
        is True
    )
    assert post(staff_client, "/api/v1/segments/preview", {"rule": {"all": 1}}).status_code == 400


def test_overlap_between_two_segments(staff_client):
    ingest_events(
        [
            make_event("add_to_cart", visitor_id="both"),
            make_event("purchase", visitor_id="both"),
            make_event("add_to_cart", visitor_id="cart-only"),
            make_event("purchase", visitor_id="buyer-only"),
        ]
    )
    segment_save(
        key="buyers", name="Buyers", rule={"field": "profile.orders", "op": "gte", "value": 1}
    )
    segment_save(
        key="carters",
        name="Carters",
        rule={"field": "profile.counters.add_to_cart", "op": "gte", "value": 1},
    )
    body = staff_client.get("/api/v1/segments/overlap?a=buyers&b=carters").json()
    assert (body["size_a"], body["size_b"], body["both"]) == (2, 2, 1)
    assert body["jaccard"] == pytest.approx(1 / 3, abs=1e-3)


def test_staff_only(api_client, django_user_model):
    assert api_client.get("/api/v1/segments").status_code in (401, 403)
    assert post(
        api_client, "/api/v1/segments", {"key": "x", "name": "X", "rule": CART_RULE}
    ).status_code in (401, 403)
    shopper = django_user_model.objects.create_user(username="shopper", password="x-pw-12345")
    api_client.force_authenticate(shopper)
    assert api_client.get("/api/v1/segments").status_code == 403
    assert api_client.post("/api/v1/segments/anything/recompute").status_code == 403


def test_delete_refuses_while_another_segment_depends_on_it(staff_client):
    segment_save(key="a", name="A", rule=CART_RULE)
    segment_save(key="b", name="B", rule={"segment": "a"})
    refused = staff_client.delete("/api/v1/segments/a")
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "conflict",
        "message": "Other segments depend on this one.",
        "fields": {"segment": "used by b"},
    }
    assert staff_client.delete("/api/v1/segments/b").status_code == 204
    assert staff_client.delete("/api/v1/segments/a").status_code == 204


def test_a_duplicate_key_is_a_409_as_for_experiments(staff_client):
    segment_save(key="carters", name="Carters", rule=CART_RULE)
    response = post(
        staff_client,
        "/api/v1/segments",
        {"key": "carters", "name": "Again", "kind": "rule", "rule": CART_RULE},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert response.json()["error"]["fields"] == {"key": "already exists"}
    assert Segment.objects.get(key="carters").name == "Carters"
