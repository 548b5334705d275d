"""The recent-event windows real-time rules read are built when events are stored (the
ingest follow-up), so the first decide after an ingest reads no events from the database."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import clock
from segments.models import Segment
from segments.selectors import recent_cache_key, recent_events, visitor_context
from segments.services import build_recent_windows, segment_save, static_members_change
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db(transaction=True)

RECENT_VIEWERS = {"events": {"type": "product_view", "within": "1h"}, "op": "gte", "value": 2}


def view(visitor_id: str, minutes_ago: int = 0) -> None:
    result = ingest_events(
        [
            {
                "type": "product_view",
                "visitor_id": visitor_id,
                "timestamp": (clock.now() - timedelta(minutes=minutes_ago)).isoformat(),
                "properties": {"product_id": "SKU-1", "category": "outdoor/tents"},
            }
        ]
    )
    assert result.accepted == 1


def event_reads(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if "tracking_event" in q["sql"]]


def test_decide_right_after_an_ingest_reads_no_events():
    segment_save(key="recent-viewers", name="Recent viewers", rule=RECENT_VIEWERS)
    view("v-warm", minutes_ago=5)
    assert "recent-viewers" not in visitor_context("v-warm", {}).segments

    view("v-warm")
    with CaptureQueriesContext(connection) as captured:
        keys = visitor_context("v-warm", {}).segments
    assert "recent-viewers" in keys  # the new event is in the windows built at write time
    assert event_reads(captured.captured_queries) == []


def test_the_windows_of_a_whole_batch_are_built_in_two_queries():
    segment_save(key="recent-viewers", name="Recent viewers", rule=RECENT_VIEWERS)
    static = segment_save(key="crm-list", name="CRM list", kind=Segment.Kind.STATIC)
    for n in range(5):
        view(f"v{n}")
    static_members_change(segment=static, add=["v1"])
    cache.delete_many([recent_cache_key(f"v{n}") for n in range(5)])

    with CaptureQueriesContext(connection) as captured:
        assert build_recent_windows([f"v{n}" for n in range(5)]) == 5
    assert len(captured.captured_queries) <= 3  # events, memberships (+ the catalog's)
    built = cache.get(recent_cache_key("v1"))
    assert built["memberships"] == ["crm-list"]
    assert [e["type"] for e in recent_events(built)] == ["product_view"]
    # What decide would have read itself on a miss, the same.
    cache.delete(recent_cache_key("v1"))
    assert set(visitor_context("v1", {}).segments) >= {"crm-list"}
    assert recent_events(cache.get(recent_cache_key("v1"))) == recent_events(built)


def test_a_failed_build_leaves_no_stale_windows(monkeypatch):
    segment_save(key="recent-viewers", name="Recent viewers", rule=RECENT_VIEWERS)
    view("v-stale", minutes_ago=5)
    visitor_context("v-stale", {})
    assert cache.get(recent_cache_key("v-stale")) is not None

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("segments.services.recent_activity_of", broken)
    view("v-stale")
    assert cache.get(recent_cache_key("v-stale")) is None
    monkeypatch.undo()
    assert "recent-viewers" in visitor_context("v-stale", {}).segments
