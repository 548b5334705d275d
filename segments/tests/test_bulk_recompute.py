"""Recomputing segments in one pass: one scan of the profiles materializes several rule
segments, with the same members, periods, sizes and snapshots as one segment at a time."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings

from conftest import pinned_instant
from core.config_version import bump_config_version
from segments.models import Segment, SegmentMembership, SegmentSizeSnapshot
from segments.selectors import effective_rule, sql_compiler
from segments.services import (
    due_segment_ids,
    recompute_due_segments,
    recompute_segment,
    recompute_segments,
    segment_save,
)
from segments.sql import members_queryset
from segments.tasks import recompute_due_segments_task
from tracking.models import Event, VisitorProfile

pytestmark = pytest.mark.django_db
NOW = pinned_instant()  # the tests' clock (conftest.py), not the machine's

RULES = {
    "buyers": {"field": "profile.orders", "op": "gte", "value": 1},
    "big-buyers": {
        "all": [
            {"field": "profile.orders", "op": "gte", "value": 2},
            {"field": "profile.revenue", "op": "gt", "value": 100},
        ]
    },
    "gold": {"field": "attributes.loyalty_tier", "op": "in", "value": ["gold", "platinum"]},
    "mobile": {"field": "profile.last_context.device", "op": "eq", "value": "mobile"},
    "viewers": {
        "events": {"type": "product_view", "within": "7d"},
        "op": "gte",
        "value": 2,
    },
    "no-recent-purchase": {
        "all": [
            {"field": "profile.orders", "op": "gte", "value": 1},
            {"events": {"type": "purchase", "within": "30d"}, "op": "lt", "value": 1},
        ]
    },
    "few-views": {"events": {"type": "product_view", "within": "30d"}, "op": "lt", "value": 3},
    "kitchen-spenders": {
        "events": {
            "type": "purchase",
            "where": {"category": {"startswith": "kitchen"}},
            "within": "30d",
            "agg": "sum",
            "property": "revenue",
        },
        "op": "gt",
        "value": 50,
    },
    "buyers-not-gold": {"all": [{"segment": "buyers"}, {"not": {"segment": "gold"}}]},
}


def _profile(visitor_id: str, *, orders: int = 0, revenue: float = 0.0, **fields) -> None:
    VisitorProfile.objects.create(
        visitor_id=visitor_id,
        bucketing_id=visitor_id,
        orders=orders,
        revenue=revenue,
        last_purchase_at=NOW - timedelta(days=3) if orders else None,
        **fields,
    )


def _event(visitor_id: str, event_type: str, days_ago: float, **properties) -> None:
    at = NOW - timedelta(days=days_ago)
    Event.objects.create(
        visitor_id=visitor_id,
        type=event_type,
        timestamp=at,
        received_at=at,
        properties=properties,
    )


@pytest.fixture
def shoppers() -> list[Segment]:
    _profile("a", orders=3, revenue=240.0, attributes={"loyalty_tier": "gold"})
    _profile("b", orders=1, revenue=20.0, last_context={"device": "mobile"})
    _profile("c", last_context={"device": "desktop"}, attributes={"loyalty_tier": "silver"})
    _profile("d", orders=2, revenue=90.0, attributes={"loyalty_tier": "platinum"})
    _profile("e")
    for days_ago in (1, 2, 3):
        _event("a", "product_view", days_ago, category="kitchen/knives")
    _event("a", "purchase", 2, category="kitchen/knives", revenue=80)
    _event("b", "product_view", 20)
    _event("c", "product_view", 1)
    _event("c", "product_view", 6)
    _event("d", "purchase", 45, revenue=90)
    _event("e", "purchase", 1, category="kitchen", revenue=60)  # no profile orders yet
    return [segment_save(key=key, name=key, rule=rule) for key, rule in RULES.items()]


def _open_members() -> dict[str, set[str]]:
    members: dict[str, set[str]] = {key: set() for key in RULES}
    rows = SegmentMembership.objects.filter(left_at__isnull=True).values_list(
        "segment__key", "visitor_id"
    )
    for key, visitor_id in rows:
        members[key].add(visitor_id)
    return members


def _selected_by_sql(now: datetime) -> dict[str, set[str]]:
    compiler = sql_compiler(now)
    return {
        segment.key: set(
            members_queryset(compiler.compile(effective_rule(segment))).values_list(
                "visitor_id", flat=True
            )
        )
        for segment in Segment.objects.filter(key__in=RULES)
    }


def test_one_pass_materializes_what_each_rule_selects(shoppers):
    results = recompute_segments(segment_ids=[s.pk for s in shoppers], now=NOW)

    expected = _selected_by_sql(NOW)
    assert _open_members() == expected
    assert expected["no-recent-purchase"] == {"b", "d"}  # count < 1: no purchase in 30 days
    assert expected["few-views"] == {"b", "c", "d", "e"}
    assert [r.segment_key for r in results] == list(RULES)
    for result in results:
        segment = Segment.objects.get(key=result.segment_key)
        assert result.size == segment.size == len(expected[segment.key])
        assert (result.entered, result.left) == (result.size, 0)
        assert segment.last_computed_at == NOW
        snapshot = SegmentSizeSnapshot.objects.get(segment=segment)
        assert (snapshot.size, snapshot.entered, snapshot.left) == (result.size, result.size, 0)


def test_one_pass_and_one_segment_at_a_time_agree(shoppers):
    recompute_segments(segment_ids=[s.pk for s in shoppers], now=NOW)
    in_one_pass = _open_members()
    SegmentMembership.objects.all().delete()

    for segment in shoppers:
        recompute_segment(segment_id=segment.pk, now=NOW)

    assert _open_members() == in_one_pass


def test_a_later_pass_closes_and_opens_periods(shoppers):
    ids = [s.pk for s in shoppers]
    recompute_segments(segment_ids=ids, now=NOW)
    VisitorProfile.objects.filter(visitor_id="b").update(orders=0, revenue=0.0)
    VisitorProfile.objects.filter(visitor_id="c").update(orders=1, revenue=15.0)
    later = NOW + timedelta(hours=1)

    results = {r.segment_key: r for r in recompute_segments(segment_ids=ids, now=later)}

    buyers = Segment.objects.get(key="buyers")
    assert (results["buyers"].entered, results["buyers"].left) == (1, 1)
    assert results["buyers"].size == buyers.size == 3
    periods = SegmentMembership.objects.filter(segment=buyers)
    assert periods.get(visitor_id="b").left_at == later
    assert periods.get(visitor_id="c").entered_at == later
    assert periods.get(visitor_id="a").entered_at == NOW  # unchanged members keep their period
    assert (results["gold"].entered, results["gold"].left) == (0, 0)
    latest = buyers.snapshots.order_by("-computed_at").first()
    assert (latest.size, latest.entered, latest.left) == (3, 1, 1)
    assert _open_members() == _selected_by_sql(later)


def test_segments_not_materialized_are_left_alone(shoppers):
    buyers = Segment.objects.get(key="buyers")
    Segment.objects.filter(pk=buyers.pk).update(is_active=False)
    static = segment_save(key="vip-list", name="VIP list", kind=Segment.Kind.STATIC)

    results = recompute_segments(segment_ids=[buyers.pk, static.pk, shoppers[2].pk], now=NOW)

    assert [(r.segment_key, r.duration_ms) for r in results[:2]] == [
        ("buyers", 0),
        ("vip-list", 0),
    ]
    assert results[2].size == 2
    assert not SegmentMembership.objects.filter(segment__in=[buyers, static]).exists()


@override_settings(PZ_MIN_SEGMENT_SIZE=3)
def test_crossing_the_minimum_size_bumps_the_config_version(
    shoppers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        recompute_segments(segment_ids=[s.pk for s in shoppers], now=NOW)

    # "buyers" reaches 3 members: what may be targeted changed
    assert bump_config_version in callbacks


def test_the_schedule_recomputes_the_due_segments_in_one_pass(shoppers):
    fresh, *due = shoppers
    recompute_segments(segment_ids=[fresh.pk], now=NOW)
    later = NOW + timedelta(minutes=30)  # fresh is recomputed every 60 minutes

    assert due_segment_ids(now=later) == [s.pk for s in due]
    results = recompute_due_segments(now=later)

    assert [r.segment_id for r in results] == [s.pk for s in due]
    assert Segment.objects.get(pk=fresh.pk).last_computed_at == NOW
    assert set(
        Segment.objects.filter(pk__in=[s.pk for s in due]).values_list(
            "last_computed_at", flat=True
        )
    ) == {later}
    assert due_segment_ids(now=later) == []


def test_the_beat_task_returns_the_recomputed_ids(shoppers):
    assert recompute_due_segments_task() == [s.pk for s in shoppers]
    assert recompute_due_segments_task() == []
