"""Real-time segmentation: visitors move between the classic engagement segments as they
act, materialized memberships follow, and a request stays within its query budget."""

import json
from datetime import datetime, timedelta

import pytest
from django.test import override_settings

from conftest import pinned_instant
from segments.models import SegmentMembership
from segments.selectors import visitor_context
from segments.services import segment_save
from tracking.services import ingest_events
from tracking.tests.factories import iso

pytestmark = pytest.mark.django_db(transaction=True)
T0 = pinned_instant() - timedelta(hours=2)  # the tests' clock, not the machine's


def act(visitor_id: str, event_type: str, at: datetime, **properties) -> None:
    defaults = {
        "product_view": {"product_id": "SKU-1", "category": "outdoor/tents", "price": 20.0},
        "add_to_cart": {"product_id": "SKU-1", "category": "outdoor/tents", "price": 20.0},
        "purchase": {"order_id": f"o-{at.timestamp()}", "revenue": 20.0},
    }
    result = ingest_events(
        [
            {
                "type": event_type,
                "visitor_id": visitor_id,
                "timestamp": iso(at),
                "properties": properties or defaults[event_type],
            }
        ],
        now=at + timedelta(seconds=1),
    )
    assert result.accepted == 1


def engagement(visitor_id: str, now: datetime) -> set[str]:
    keys = set(visitor_context(visitor_id, {}, now=now).segments)
    return keys & {"browsers", "engaged-shoppers", "cart-abandoners"}


def materialized(visitor_id: str) -> set[str]:
    return set(
        SegmentMembership.objects.filter(visitor_id=visitor_id, left_at__isnull=True).values_list(
            "segment__key", flat=True
        )
    )


def test_a_child_segment_only_holds_members_of_its_parent():
    ingest_events(
        [
            {
                "type": "add_to_cart",
                "visitor_id": vid,
                "context": {"country": country},
                "properties": {"product_id": "A", "price": 1.0},
            }
            for vid, country in [("de-cart", "DE"), ("gb-cart", "GB")]
        ]
        + [{"type": "page_view", "visitor_id": "gb-browse", "context": {"country": "GB"}}]
    )
    segment_save(
        key="carters", name="Carters", rule={"field": "profile.cart.items", "op": "gt", "value": 0}
    )
    segment_save(
        key="uk-carters",
        name="UK carters",
        parent_key="carters",
        rule={"field": "profile.last_context.country", "op": "eq", "value": "GB"},
    )
    members = set(
        SegmentMembership.objects.filter(
            segment__key="uk-carters", left_at__isnull=True
        ).values_list("visitor_id", flat=True)
    )
    assert members == {"gb-cart"}
    assert "uk-carters" in visitor_context("gb-cart", {}).segments
    assert "uk-carters" not in visitor_context("gb-browse", {}).segments


@override_settings(PZ_MIN_SEGMENT_SIZE=2)
def test_segments_below_the_minimum_size_are_not_targetable():
    ingest_events(
        [{"type": "add_to_cart", "visitor_id": "solo", "properties": {"product_id": "A"}}]
    )
    segment_save(
        key="carters", name="Carters", rule={"field": "profile.cart.items", "op": "gt", "value": 0}
    )
    segment_save(
        key="phones", name="Phones", rule={"field": "context.device", "op": "eq", "value": "mobile"}
    )
    result = visitor_context("solo", {"device": "mobile"})
    assert set(result.segments) == {"carters", "phones"}
    assert result.targetable == ("phones",)  # carters has 1 member; phones is real-time only


def test_the_visitor_profile_lists_segments_with_since(staff_client, server_api_client):
    segment_save(
        key="carters", name="Carters", rule={"field": "profile.cart.items", "op": "gt", "value": 0}
    )
    server_api_client.post(
        "/api/v1/events",
        data=json.dumps(
            {
                "events": [
                    {"type": "add_to_cart", "visitor_id": "v1", "properties": {"product_id": "A"}}
                ]
            }
        ),
        content_type="application/json",
    )
    body = staff_client.get("/api/v1/visitors/v1").json()
    assert [s["key"] for s in body["segments"]] == ["carters"]
    assert body["segments"][0]["since"]
