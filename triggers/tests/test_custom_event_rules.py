"""Custom event types in segment rules (both evaluators), the rule builder and triggers."""

import pytest

from segments.field_registry import current_registry
from segments.models import SegmentMembership
from segments.selectors import visitor_context
from segments.services import recompute_segment, segment_save
from tracking.services import ingest_events
from tracking.tests.test_custom_event_types import register, wishlist
from triggers.models import Firing
from triggers.services import trigger_errors
from triggers.tests.factories import email_trigger, known_visitor

pytestmark = pytest.mark.django_db


def test_rules_on_a_custom_type_agree_in_both_evaluators(staff_client):
    register(staff_client)
    ingest_events([wishlist("big", price=80.0), wishlist("small", price=5.0)])
    rule = {
        "events": {"type": "wishlist_add", "where": {"price": {"gte": 50}}, "within": "7d"},
        "op": "gte",
        "value": 1,
    }
    segment = segment_save(key="wishers", name="Wishers", rule=rule)
    recompute_segment(segment_id=segment.pk)
    by_sql = set(
        SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).values_list(
            "visitor_id", flat=True
        )
    )
    real_time = {vid for vid in ("big", "small") if "wishers" in visitor_context(vid, {}).segments}
    assert by_sql == real_time == {"big"}


def test_the_registry_and_rule_builder_list_the_type_with_its_properties(
    staff_client, admin_client
):
    register(staff_client)
    registry = current_registry()
    assert "wishlist_add" in registry.event_type_names
    assert registry.event_property("price", "wishlist_add").type == "number"
    fields = staff_client.get("/api/v1/rule-fields").json()
    assert {"value": "wishlist_add", "label": "Wishlist add"} in fields["event_types"]
    html = admin_client.get("/admin/segments/new/").content.decode()
    assert '"value": "wishlist_add"' in html


def test_a_trigger_enters_on_a_custom_event(staff_client, django_capture_on_commit_callbacks):
    trigger = email_trigger(entry_event="wishlist_add", cancel_event="", conditions={})
    assert "entry_event" in trigger_errors(trigger)
    register(staff_client)
    assert "entry_event" not in trigger_errors(trigger)
    known_visitor()
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest_events([wishlist()]).accepted == 1
    assert Firing.objects.filter(trigger=trigger).exists()
