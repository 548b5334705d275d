"""A broker outage only delays background work: ingest stores the events it accepts and
answers 202 even when the tasks it queues after commit cannot be published, quickly, and
a client resending the batch stores nothing twice. The announcement of those events is
kept and replayed once the broker is back, so their follow-up work still happens."""

import logging
import time
import uuid

import pytest

from tracking.models import Event, PendingAnnouncement
from tracking.services import replay_pending_announcements

pytestmark = pytest.mark.django_db(transaction=True)


def test_ingest_stores_events_when_the_broker_is_down(dead_broker, server_api_client, caplog):
    events = [
        {"type": "page_view", "visitor_id": f"v-broker-{index % 2}", "event_id": str(uuid.uuid4())}
        for index in range(4)
    ]

    with caplog.at_level(logging.ERROR, logger="tracking.services"):
        started = time.perf_counter()
        response = server_api_client.post("/api/v1/events", {"events": events}, format="json")
        seconds = time.perf_counter() - started

    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == 4
    assert Event.objects.count() == 4
    # The segment refresh could not be queued: logged, not raised after the commit, and
    # kept for a replay.
    assert "events_ingested receiver" in caplog.text
    assert seconds < 1.0, seconds
    pending = PendingAnnouncement.objects.get()
    assert pending.visitor_ids == ["v-broker-0", "v-broker-1"]
    assert pending.event_types == ["page_view"]

    resent = server_api_client.post("/api/v1/events", {"events": events}, format="json")

    assert resent.status_code == 202
    assert resent.json()["duplicates"] == 4
    assert Event.objects.count() == 4


def test_announcements_kept_during_the_outage_are_replayed_once_it_ends(
    dead_broker, server_api_client, monkeypatch
):
    from config.celery import app
    from segments import signal_handlers as segment_handlers

    events = [{"type": "add_to_cart", "visitor_id": "v-late", "properties": {"product_id": "S"}}]
    assert (
        server_api_client.post("/api/v1/events", {"events": events}, format="json").status_code
        == 202
    )
    assert PendingAnnouncement.objects.count() == 1

    # Still down: the replay keeps it and counts the attempt.
    assert replay_pending_announcements() == 0
    assert PendingAnnouncement.objects.get().attempts == 1

    # Back (tasks run in process here): the follow-up work happens and the row goes.
    refreshed: list[list[str]] = []
    monkeypatch.setattr(
        segment_handlers,
        "schedule_membership_refresh",
        lambda visitor_ids, **kwargs: refreshed.append(sorted(visitor_ids)) or [],
    )
    app.conf.task_always_eager = True  # dead_broker restores it
    assert replay_pending_announcements() == 1
    assert not PendingAnnouncement.objects.exists()
    assert refreshed == [["v-late"]]
