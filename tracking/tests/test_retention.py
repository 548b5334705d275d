"""Retention: old raw events and the anonymous profiles they leave behind are deleted in
batches; recent data, known customers and consent records stay."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tracking.models import Event, VisitorProfile
from tracking.retention import apply_retention
from tracking.services import ingest_events, known_profile, set_consent
from tracking.tasks import apply_retention_task
from tracking.tests.factories import make_event

pytestmark = [pytest.mark.django_db, pytest.mark.time_sensitive]

DAYS = settings.PZ_EVENT_RETENTION_DAYS


def event_at(visitor_id: str, days_ago: int, event_type: str = "product_view") -> dict:
    at = timezone.now() - timedelta(days=days_ago)
    return make_event(event_type, visitor_id=visitor_id, timestamp=at.isoformat())


def age_profiles(*visitor_ids: str, days_ago: int) -> None:
    at = timezone.now() - timedelta(days=days_ago)
    VisitorProfile.objects.filter(visitor_id__in=visitor_ids).update(
        first_seen=at, last_seen=at, created_at=at
    )


def test_old_events_go_and_recent_ones_stay():
    ingest_events(
        [
            event_at("gone", DAYS + 30),
            event_at("gone", DAYS + 1, "add_to_cart"),
            event_at("mixed", DAYS + 10),
            event_at("mixed", 3),
        ]
    )

    result = apply_retention(batch_size=1)

    assert result.events_deleted == 3
    assert list(Event.objects.values_list("visitor_id", flat=True)) == ["mixed"]
    assert VisitorProfile.objects.filter(visitor_id="mixed").exists()


def test_known_customers_and_consent_records_are_kept():
    known = known_profile("12347")
    ingest_events([event_at("consented", DAYS + 30), event_at("quiet", DAYS + 30)])
    set_consent(visitor_id="consented", tracking=False, personalization=False)
    age_profiles(known.visitor_id, "consented", "quiet", days_ago=DAYS + 30)

    apply_retention_task.delay()

    assert not Event.objects.exists()
    kept = set(VisitorProfile.objects.values_list("visitor_id", flat=True))
    assert kept == {known.visitor_id, "consented"}


def test_a_profile_seen_within_the_period_stays_even_without_events():
    ingest_events([event_at("recent", DAYS + 30)])
    age_profiles("recent", days_ago=DAYS - 1)

    apply_retention()

    assert VisitorProfile.objects.filter(visitor_id="recent").exists()


def test_the_beat_schedule_runs_retention():
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "tracking.tasks.apply_retention_task" in entries
