"""Sweeps: one broken trigger (saved before its conditions were checked) is logged and
skipped, and every other sweep still runs."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tracking.models import VisitorProfile
from triggers import services
from triggers.models import Firing, Trigger
from triggers.tests.factories import email_trigger, known_visitor

pytestmark = pytest.mark.django_db

LAPSED = {"field": "profile.orders", "op": "gte", "value": 1}


def sweep(key: str, conditions: dict) -> Trigger:
    return email_trigger(
        key=key, kind=Trigger.Kind.SWEEP, entry_event="", wait_seconds=0, conditions=conditions
    )


def test_a_sweep_reading_the_context_does_not_stop_the_others(
    caplog, django_capture_on_commit_callbacks
):
    sweep("a-broken", {"all": [LAPSED, {"field": "context.device", "op": "eq", "value": "x"}]})
    sweep("b-good", LAPSED)
    known_visitor("old")
    VisitorProfile.objects.filter(visitor_id="old").update(
        orders=1, last_seen=timezone.now() - timedelta(days=60)
    )

    with django_capture_on_commit_callbacks(execute=True):
        fired = services.run_sweeps()

    assert fired == 1
    assert Firing.objects.get().trigger.key == "b-good"
    assert [m.to for m in mail.outbox] == [["old@example.com"]]
    assert "sweep of trigger a-broken failed" in caplog.text


def test_saving_a_sweep_that_reads_the_context_is_refused():
    trigger = Trigger(
        key="s",
        name="s",
        kind=Trigger.Kind.SWEEP,
        conditions={"field": "context.local_hour", "op": "gte", "value": 20},
        action=Trigger.Action.SEGMENT_ADD,
    )
    errors = services.trigger_errors(trigger)
    assert "context.local_hour" in errors["conditions"]


def test_a_sweep_on_stored_fields_is_accepted():
    trigger = Trigger(key="s", name="s", kind=Trigger.Kind.SWEEP, conditions=LAPSED)
    assert "conditions" not in services.trigger_errors(trigger)
