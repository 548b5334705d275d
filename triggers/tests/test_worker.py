"""On a real Celery worker: an add_to_cart ingested through the API fires after the wait."""

import json
import time

import pytest

from segments.models import Segment
from tracking.tests.factories import make_event, minutes_ago
from triggers.models import Firing, Trigger


@pytest.mark.services
def test_wait_then_fire_on_the_worker(celery_worker_app, server_api_client):
    segment = Segment.objects.create(key="carted", name="Carted", kind=Segment.Kind.STATIC)
    Trigger.objects.create(
        key="carted",
        name="Carted",
        enabled=True,
        entry_event="add_to_cart",
        wait_seconds=2,
        cancel_event="purchase",
        action=Trigger.Action.SEGMENT_ADD,
        segment=segment,
    )
    event = make_event("add_to_cart", visitor_id="worker-v1", timestamp=minutes_ago(0))
    response = server_api_client.post(
        "/api/v1/events", data=json.dumps({"events": [event]}), content_type="application/json"
    )
    assert response.status_code == 202

    deadline = time.monotonic() + 30
    statuses: list[str] = []
    while time.monotonic() < deadline:
        statuses = list(Firing.objects.values_list("status", flat=True))
        if statuses and statuses[0] != Firing.Status.PENDING:
            break
        time.sleep(0.2)
    assert statuses == [Firing.Status.FIRED]
    firing = Firing.objects.get()
    assert (firing.decided_at - firing.entry_at).total_seconds() >= 2
