"""The refresh after an ingest re-evaluates every materialized segment for just the
visitors who acted, in a fixed number of queries whatever the number of segments."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import clock
from segments.models import Segment, SegmentMembership, SegmentSizeSnapshot
from segments.services import refresh_visitor_memberships, segment_save
from tracking.models import VisitorProfile

pytestmark = pytest.mark.django_db


def _open(key: str) -> set[str]:
    return set(
        SegmentMembership.objects.filter(segment__key=key, left_at__isnull=True).values_list(
            "visitor_id", flat=True
        )
    )


def _segments(count: int) -> None:
    for n in range(count):
        segment_save(
            key=f"orders-{n}",
            name=f"Orders {n}",
            rule={"field": "profile.orders", "op": "gt", "value": n},
        )
    segment_save(
        key="carts", name="Carts", rule={"field": "profile.cart.items", "op": "gt", "value": 0}
    )


def test_visitors_enter_and_leave_and_others_are_left_alone():
    _segments(2)
    for visitor_id, orders in (("buyer", 2), ("once", 1), ("browser", 0), ("elsewhere", 0)):
        VisitorProfile.objects.create(visitor_id=visitor_id, bucketing_id=visitor_id, orders=orders)
    orders_0 = Segment.objects.get(key="orders-0")
    now = clock.now()
    # Stale periods: "browser" is no buyer any more; "elsewhere" is outside this refresh.
    SegmentMembership.objects.bulk_create(
        SegmentMembership(segment=orders_0, visitor_id=visitor_id, entered_at=now)
        for visitor_id in ("browser", "elsewhere")
    )
    snapshots = SegmentSizeSnapshot.objects.count()

    changes = refresh_visitor_memberships(visitor_ids=["buyer", "once", "browser"], now=now)

    assert changes == {
        "orders-0": (["buyer", "once"], ["browser"]),
        "orders-1": (["buyer"], []),
    }
    assert _open("orders-0") == {"buyer", "once", "elsewhere"}
    assert _open("orders-1") == {"buyer"}
    assert _open("carts") == set()
    assert SegmentMembership.objects.get(segment=orders_0, visitor_id="browser").left_at == now
    # A size snapshot for each segment that changed, none for the one that did not.
    assert SegmentSizeSnapshot.objects.count() == snapshots + 2
    assert Segment.objects.get(key="orders-0").size == 3

    assert refresh_visitor_memberships(visitor_ids=["buyer", "once", "browser"], now=now) == {}


def test_the_refresh_reads_all_segments_in_one_query():
    for visitor_id in ("a", "b"):
        VisitorProfile.objects.create(visitor_id=visitor_id, bucketing_id=visitor_id, orders=1)
    queries = {}
    for count in (2, 12):
        _segments(count)
        with CaptureQueriesContext(connection) as captured:
            refresh_visitor_memberships(visitor_ids=["a", "b"])
        queries[count] = len(captured.captured_queries)
        SegmentMembership.objects.all().delete()
        Segment.objects.all().delete()

    assert queries[12] == queries[2]


def test_event_windows_count_the_refreshed_visitors_events():
    from tracking.models import Event

    segment_save(
        key="recent-buyers",
        name="Recent buyers",
        rule={
            "events": {"type": "purchase", "within": "30d", "agg": "sum", "property": "revenue"},
            "op": "gte",
            "value": 100,
        },
    )
    now = clock.now()
    for visitor_id, revenue in (("big", 80), ("big", 40), ("small", 50), ("outside", 500)):
        VisitorProfile.objects.get_or_create(visitor_id=visitor_id, bucketing_id=visitor_id)
        Event.objects.create(
            visitor_id=visitor_id,
            type="purchase",
            timestamp=now,
            received_at=now,
            properties={"revenue": revenue},
        )

    changes = refresh_visitor_memberships(visitor_ids=["big", "small"], now=now)

    assert changes == {"recent-buyers": (["big"], [])}
    assert _open("recent-buyers") == {"big"}
