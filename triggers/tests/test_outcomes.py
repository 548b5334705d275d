"""A decision's outcome follows from which check failed (an enum), never from the words the
dry run shows: relabelling a check for display changes nothing about what happens."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from triggers import matching, services
from triggers.matching import Check, Outcome, outcome_of
from triggers.models import Firing
from triggers.tests.factories import email_trigger, ingest, known_visitor


@pytest.mark.parametrize(
    ("failed", "waited", "outcome"),
    [
        (None, False, Outcome.FIRE),
        (None, True, Outcome.FIRE),
        (Check.CANCEL_EVENT, True, Outcome.CANCEL),
        (Check.QUIET_HOURS, True, Outcome.DEFER),
        (Check.QUIET_HOURS, False, Outcome.SKIP),
        (Check.FREQUENCY_CAP, True, Outcome.SKIP),
        (Check.DAILY_CAP, False, Outcome.SKIP),
        (Check.CONSENT, True, Outcome.SKIP),
    ],
)
def test_outcome_of_the_failed_check(failed, waited, outcome):
    assert outcome_of(failed, waited=waited) is outcome


def test_every_check_and_outcome_has_a_display_label():
    assert set(matching.CHECK_LABELS) == set(Check)
    assert set(matching.OUTCOME_LABELS) == set(Outcome)


RELABELLED = {
    **matching.CHECK_LABELS,
    Check.QUIET_HOURS: "Ruhezeit",
    Check.CANCEL_EVENT: "Abbruch-Ereignis",
}


@pytest.mark.django_db
@override_settings(PZ_TRIGGERS_TIME_ZONE="Europe/Berlin")
def test_relabelled_quiet_hours_still_defer(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(matching, "CHECK_LABELS", RELABELLED)
    known_visitor()
    email_trigger(quiet_start_hour=22, quiet_end_hour=8)
    entry_at = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)  # 22:00 in Berlin
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")
    firing = Firing.objects.get(status=Firing.Status.PENDING)
    Firing.objects.filter(pk=firing.pk).update(entry_at=entry_at, due_at=entry_at)

    services.check_firing(firing_id=firing.pk, now=entry_at + timedelta(minutes=31))

    firing.refresh_from_db()
    assert firing.status == Firing.Status.PENDING
    assert firing.due_at == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    report = services.dry_run(
        trigger=firing.trigger, visitor_id="v1", now=entry_at + timedelta(minutes=31)
    )
    assert report["outcome"] is Outcome.DEFER
    assert report["reason"].startswith("Ruhezeit: ")


@pytest.mark.django_db
def test_relabelled_cancel_event_still_cancels(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(matching, "CHECK_LABELS", RELABELLED)
    known_visitor()
    trigger = email_trigger()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")
        ingest("purchase")

    services.process_due_firings(now=timezone.now() + timedelta(minutes=31))

    firing = Firing.objects.get(trigger=trigger)
    assert firing.status == Firing.Status.CANCELLED
    assert firing.reason.startswith("Abbruch-Ereignis: ")
