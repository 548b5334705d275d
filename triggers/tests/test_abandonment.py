"""Cart abandonment: fires after the wait, not when a purchase came first; consent and
quiet hours; the task running twice fires once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from tracking.services import set_consent
from triggers import services
from triggers.models import Firing
from triggers.tests.factories import email_trigger, ingest, known_visitor

pytestmark = [pytest.mark.django_db, pytest.mark.time_sensitive]


def pending_firing():
    return Firing.objects.get(status=Firing.Status.PENDING)


def test_abandoned_cart_fires_after_the_wait(django_capture_on_commit_callbacks):
    known_visitor()
    email_trigger()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")
    firing = pending_firing()  # eager: the delayed check ran early and left it waiting

    with django_capture_on_commit_callbacks(execute=True):
        services.check_firing(firing_id=firing.pk, now=timezone.now() + timedelta(minutes=31))

    firing.refresh_from_db()
    assert firing.status == Firing.Status.FIRED
    assert firing.delivered_at is not None
    assert [m.to for m in mail.outbox] == [["v1@example.com"]]
    assert mail.outbox[0].subject == "Hi Ada"
    assert "SECRET" not in mail.outbox[0].body and "pz gift shop" in mail.outbox[0].body


def test_a_purchase_during_the_wait_cancels(django_capture_on_commit_callbacks):
    known_visitor()
    email_trigger()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")
        ingest("purchase")

    services.process_due_firings(now=timezone.now() + timedelta(minutes=31))

    firing = Firing.objects.get()
    assert firing.status == Firing.Status.CANCELLED
    assert firing.reason.startswith("cancel event")
    assert mail.outbox == []


def test_a_burst_of_entry_events_waits_on_one_check_and_a_rerun_fires_once(
    django_capture_on_commit_callbacks,
):
    known_visitor()
    email_trigger()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", "add_to_cart")
        ingest("add_to_cart")
    firing = pending_firing()
    later = timezone.now() + timedelta(minutes=31)

    with django_capture_on_commit_callbacks(execute=True):
        services.check_firing(firing_id=firing.pk, now=later)
        services.check_firing(firing_id=firing.pk, now=later)  # redelivered task
        services.process_due_firings(now=later)

    assert Firing.objects.count() == 1
    assert len(mail.outbox) == 1


def test_without_tracking_consent_nothing_is_sent(django_capture_on_commit_callbacks):
    known_visitor()
    email_trigger()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")
        set_consent(visitor_id="v1", tracking=False)

    services.process_due_firings(now=timezone.now() + timedelta(minutes=31))

    firing = Firing.objects.get()
    assert (firing.status, firing.reason) == (Firing.Status.SKIPPED, "consent: tracking consent")
    assert mail.outbox == []


def test_email_needs_a_known_visitor(django_capture_on_commit_callbacks):
    email_trigger()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", visitor_id="anonymous")

    services.process_due_firings(now=timezone.now() + timedelta(minutes=31))

    assert Firing.objects.get().reason.startswith("email address")
    assert mail.outbox == []


@override_settings(PZ_TRIGGERS_TIME_ZONE="Europe/Berlin")
def test_quiet_hours_defer_a_waiting_occurrence_to_their_end(django_capture_on_commit_callbacks):
    known_visitor()
    email_trigger(quiet_start_hour=22, quiet_end_hour=8)
    entry_at = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)  # 22:00 in Berlin
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", at=timezone.now())
    firing = pending_firing()
    Firing.objects.filter(pk=firing.pk).update(entry_at=entry_at, due_at=entry_at)

    services.check_firing(firing_id=firing.pk, now=entry_at + timedelta(minutes=31))
    firing.refresh_from_db()
    assert firing.status == Firing.Status.PENDING
    assert firing.due_at == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    assert mail.outbox == []


def test_a_late_entry_whose_wait_is_over_is_decided_at_once(django_capture_on_commit_callbacks):
    known_visitor("v1")
    email_trigger(wait_seconds=30 * 60)
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", at=timezone.now() - timedelta(minutes=45))

    (firing,) = Firing.objects.all()
    assert firing.status == Firing.Status.FIRED and len(mail.outbox) == 1


def test_a_late_entry_followed_by_the_cancel_event_leaves_no_firing(
    django_capture_on_commit_callbacks,
):
    known_visitor("v1")
    email_trigger(wait_seconds=30 * 60)
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", at=timezone.now() - timedelta(minutes=45))
        ingest("purchase", at=timezone.now() - timedelta(minutes=40))

    assert not Firing.objects.filter(status=Firing.Status.FIRED).exists()
    assert mail.outbox == []


def test_a_cancel_event_cancels_only_the_occurrences_it_follows(django_capture_on_commit_callbacks):
    # Decided together, one batch reads the visitor's latest purchase once: it came after
    # the cart's entry and before the view's, so it cancels the cart reminder only.
    known_visitor("v1")
    email_trigger("cart")
    email_trigger("browse", entry_event="product_view", conditions={})
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", at=now - timedelta(minutes=20))
        ingest("purchase", at=now - timedelta(minutes=10))
        ingest("product_view", at=now - timedelta(minutes=5))

    services.process_due_firings(now=now + timedelta(minutes=31))

    statuses = dict(Firing.objects.values_list("trigger__key", "status"))
    assert statuses == {"cart": Firing.Status.CANCELLED, "browse": Firing.Status.FIRED}


def test_with_a_worker_the_delayed_checks_of_many_ingests_share_one_task(
    django_capture_on_commit_callbacks, monkeypatch
):
    """One countdown task per ingest piled up ETA messages the worker takes in one by
    one; with a worker, ingests whose waits end in one bucket queue one due-firings check
    for its end (docs/scaling.md "queue lag")."""
    from triggers.services import occurrences
    from triggers.tasks import check_firings_task, process_due_firings_task

    queued: list[tuple[str, float]] = []
    monkeypatch.setattr(occurrences, "_eager", lambda: False)
    monkeypatch.setattr(
        process_due_firings_task,
        "apply_async",
        lambda countdown=None, **kw: queued.append(("due", countdown)),
    )
    monkeypatch.setattr(
        check_firings_task, "apply_async", lambda *a, **kw: queued.append(("ids", 0.0))
    )
    email_trigger(wait_seconds=30 * 60)
    now = timezone.now()
    for visitor in ("v1", "v2", "v3"):
        known_visitor(visitor)
        with django_capture_on_commit_callbacks(execute=True):
            ingest("add_to_cart", visitor_id=visitor, at=now)

    assert Firing.objects.filter(status=Firing.Status.PENDING).count() == 3
    assert len(queued) == 1 and queued[0][0] == "due"
    # Not before the latest due time of the bucket.
    step = occurrences.DUE_CHECK_BUCKET_SECONDS
    assert 30 * 60 <= queued[0][1] <= 30 * 60 + step + 1
    # A wait ending in another bucket gets its own check.
    assert occurrences._schedule_due_check(now + timedelta(hours=1), now=now)
    assert not occurrences._schedule_due_check(now + timedelta(hours=1), now=now)
    assert len(queued) == 2
