"""Which entry events start occurrences: each visitor is paired with the types they sent
in the batch, an event stamped a little ahead of the server clock counts, and a
replayed announcement (no types per visitor) takes every visitor's newest of each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tracking.services import ingest_events
from tracking.tests.factories import iso, make_event
from triggers import services
from triggers.models import Firing
from triggers.tests.factories import email_trigger, ingest, known_visitor

pytestmark = pytest.mark.django_db


def ordered_trigger():
    # Fires at once on add_to_cart, for customers with an order.
    return email_trigger(
        wait_seconds=0,
        cancel_event="",
        frequency_cap_count=0,
        conditions={"field": "profile.orders", "op": "gte", "value": 1},
    )


def test_a_batch_pairs_a_visitor_only_with_the_types_they_sent(django_capture_on_commit_callbacks):
    known_visitor()
    ordered_trigger()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", at=now - timedelta(minutes=2))  # no order yet: no row
    assert not Firing.objects.exists()

    # The purchase makes the rule hold, and the batch has an add_to_cart, but another
    # visitor's: v1's earlier one, ruled out when it arrived, starts nothing now.
    known_visitor("v2")
    at = iso(now - timedelta(minutes=1))
    batch = [
        make_event("purchase", visitor_id="v1", timestamp=at),
        make_event("add_to_cart", visitor_id="v2", timestamp=at),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest_events(batch).accepted == 2
    assert not Firing.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", at=now)
    assert list(Firing.objects.values_list("status", flat=True)) == ["fired"]


def test_a_replayed_announcement_takes_the_newest_event_of_every_type(
    django_capture_on_commit_callbacks,
):
    known_visitor()
    ordered_trigger()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", at=now - timedelta(minutes=2))
        ingest("purchase", at=now - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        fired = services.handle_ingested(visitor_ids=["v1"], event_types=["add_to_cart"])

    assert [f.status for f in fired] == ["fired"]


def test_an_entry_event_a_little_ahead_of_the_server_clock_starts_its_occurrence(
    django_capture_on_commit_callbacks,
):
    known_visitor()
    email_trigger(wait_seconds=0, cancel_event="", conditions={})
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", at=timezone.now() + timedelta(seconds=90))  # a fast client clock

    assert list(Firing.objects.values_list("status", flat=True)) == ["fired"]


def test_a_trigger_saved_disabled_stops_at_the_next_batch(django_capture_on_commit_callbacks):
    """Event triggers are kept per process; a save makes every process reload them."""
    known_visitor()
    trigger = email_trigger(wait_seconds=0, cancel_event="", frequency_cap_count=0)
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")
    assert Firing.objects.count() == 1

    trigger.enabled = False
    trigger.save()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")
    assert Firing.objects.count() == 1
