"""Built-in trigger conditions over order lines: "bought lighting" fires for an order with
a lighting line, whatever else it holds, and not for an order without one."""

import pytest

from tracking.services import ingest_events
from tracking.tests.factories import make_event
from triggers import services
from triggers.builtin import create_builtin_triggers
from triggers.models import Trigger
from triggers.tests.factories import known_visitor

pytestmark = pytest.mark.django_db

KITCHEN = {"product_id": "SKU-2", "quantity": 2, "price": 12.5, "category": "kitchen/baking"}
LAMP = {"product_id": "SKU-1", "quantity": 1, "price": 49.9, "category": "home/lighting"}


def order(visitor_id: str, *lines: dict) -> None:
    properties = {"order_id": f"o-{visitor_id}", "revenue": 75.0, "items": list(lines)}
    result = ingest_events([make_event("purchase", visitor_id=visitor_id, properties=properties)])
    assert result.accepted == 1, result.rejected


def test_the_lighting_trigger_fires_for_an_order_with_any_lighting_line():
    create_builtin_triggers(enabled=True)
    trigger = Trigger.objects.get(key="lighting-buyers")
    Trigger.objects.filter(pk=trigger.pk).update(quiet_start_hour=None, quiet_end_hour=None)
    trigger.refresh_from_db()
    assert services.trigger_errors(trigger) == {}
    known_visitor("lamp")
    known_visitor("pans")
    order("lamp", KITCHEN, LAMP)  # the lighting line is not the first
    order("pans", KITCHEN)

    assert services.dry_run(trigger=trigger, visitor_id="lamp")["would_fire"]
    refused = services.dry_run(trigger=trigger, visitor_id="pans")
    assert refused["reason"] == "conditions: do not hold"
