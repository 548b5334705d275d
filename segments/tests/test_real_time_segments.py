"""Real-time segmentation: visitors move between the classic engagement segments as they
act, materialized memberships follow, and a request stays within its query budget."""

import json
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from conftest import pinned_instant
from segments.demo import load_demo_segments
from segments.models import SegmentMembership
from segments.selectors import visitor_segments
from segments.services import forget_recent_events, refresh_visitor_memberships, segment_save
from tracking.services import ingest_events, set_consent
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
    keys = set(visitor_segments(visitor_id, {}, now=now).keys)
    return keys & {"browsers", "engaged-shoppers", "cart-abandoners"}


def materialized(visitor_id: str) -> set[str]:
    return set(
        SegmentMembership.objects.filter(visitor_id=visitor_id, left_at__isnull=True).values_list(
            "segment__key", flat=True
        )
    )


def test_a_visitor_moves_between_browsers_engaged_and_abandoners():
    load_demo_segments()
    act("v1", "product_view", T0)
    assert engagement("v1", T0 + timedelta(minutes=1)) == {"browsers"}

    act("v1", "product_view", T0 + timedelta(minutes=2))
    act("v1", "product_view", T0 + timedelta(minutes=3))
    assert engagement("v1", T0 + timedelta(minutes=4)) == {"browsers", "engaged-shoppers"}

    act("v1", "add_to_cart", T0 + timedelta(minutes=5))
    assert engagement("v1", T0 + timedelta(minutes=6)) == {"engaged-shoppers"}
    refresh_visitor_memberships(visitor_ids=["v1"], now=T0 + timedelta(minutes=6))
    assert materialized("v1") >= {"engaged-shoppers"}

    later = T0 + timedelta(minutes=40)
    assert engagement("v1", later) == {"cart-abandoners"}
    refresh_visitor_memberships(visitor_ids=["v1"], now=later)
    assert {"cart-abandoners"} <= materialized("v1")
    assert "engaged-shoppers" not in materialized("v1")

    act("v1", "purchase", T0 + timedelta(minutes=45))
    # bought: no longer abandoning, still engaged (a cart this week)
    assert engagement("v1", T0 + timedelta(minutes=46)) == {"engaged-shoppers"}
    refresh_visitor_memberships(visitor_ids=["v1"], now=T0 + timedelta(minutes=46))
    assert "cart-abandoners" not in materialized("v1")
    periods = SegmentMembership.objects.filter(visitor_id="v1", segment__key="engaged-shoppers")
    assert periods.filter(left_at__isnull=False).exists()  # history keeps the left period


def test_a_request_reads_the_cache_once_and_queries_at_most_once():
    load_demo_segments()
    act("v1", "add_to_cart", T0)
    now = T0 + timedelta(minutes=1)
    visitor_segments("v1", {}, now=now)  # warm the catalog of this process
    forget_recent_events(["v1"])
    with CaptureQueriesContext(connection) as cold:
        visitor_segments("v1", {"device": "mobile"}, now=now)
    with CaptureQueriesContext(connection) as warm:
        keys = visitor_segments("v1", {"device": "mobile"}, now=now).keys
    assert len(cold) == 1, [q["sql"] for q in cold]
    assert len(warm) == 0
    assert "mobile-visitors" in keys and "engaged-shoppers" in keys


def test_without_personalization_consent_only_the_context_counts():
    load_demo_segments()
    act("v1", "add_to_cart", T0)
    set_consent(visitor_id="v1", personalization=False)
    result = visitor_segments("v1", {"device": "mobile"}, now=T0 + timedelta(minutes=1))
    assert result.keys == ("mobile-visitors",)
    assert result.personalized is False


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
    assert "uk-carters" in visitor_segments("gb-cart", {}).keys
    assert "uk-carters" not in visitor_segments("gb-browse", {}).keys


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
    result = visitor_segments("solo", {"device": "mobile"})
    assert set(result.keys) == {"carters", "phones"}
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
