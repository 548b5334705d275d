"""After events are ingested, a real Celery worker moves the visitor between segments."""

import json
import time

import pytest

from segments.models import SegmentMembership
from segments.services import segment_save

pytestmark = pytest.mark.services


def members(key: str) -> set[str]:
    return set(
        SegmentMembership.objects.filter(segment__key=key, left_at__isnull=True).values_list(
            "visitor_id", flat=True
        )
    )


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_ingested_events_move_a_visitor_between_segments_on_the_worker(
    celery_worker_app, server_api_client
):
    segment_save(
        key="browsers",
        name="Browsers",
        rule={
            "all": [
                {"field": "profile.counters.product_view", "op": "gte", "value": 1},
                {"field": "profile.cart.items", "op": "eq", "value": 0},
            ]
        },
    )
    segment_save(
        key="carters", name="Carters", rule={"field": "profile.cart.items", "op": "gt", "value": 0}
    )

    def send(event_type: str) -> None:
        response = server_api_client.post(
            "/api/v1/events",
            data=json.dumps(
                {
                    "events": [
                        {
                            "type": event_type,
                            "visitor_id": "mover",
                            "properties": {"product_id": "SKU-1"},
                        }
                    ]
                }
            ),
            content_type="application/json",
        )
        assert response.status_code == 202

    send("product_view")
    assert wait_for(lambda: "mover" in members("browsers"))
    send("add_to_cart")
    assert wait_for(lambda: "mover" in members("carters") and "mover" not in members("browsers"))
