"""A broker outage only delays background work: ingest stores the events it accepts and
answers 202 even when the tasks it queues after commit cannot be published, quickly, and
a client resending the batch stores nothing twice."""

import logging
import time
import uuid

import pytest

from tracking.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def test_ingest_stores_events_when_the_broker_is_down(dead_broker, api_client, caplog):
    events = [
        {"type": "page_view", "visitor_id": f"v-broker-{index % 2}", "event_id": str(uuid.uuid4())}
        for index in range(4)
    ]

    with caplog.at_level(logging.ERROR, logger="tracking.services"):
        started = time.perf_counter()
        response = api_client.post("/api/v1/events", {"events": events}, format="json")
        seconds = time.perf_counter() - started

    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == 4
    assert Event.objects.count() == 4
    # The segment refresh could not be queued: logged, not raised after the commit.
    assert "failed after commit" in caplog.text
    assert seconds < 1.0, seconds

    resent = api_client.post("/api/v1/events", {"events": events}, format="json")

    assert resent.status_code == 202
    assert resent.json()["duplicates"] == 4
    assert Event.objects.count() == 4
