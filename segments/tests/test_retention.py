"""Retention reaches segments too: memberships go with the anonymous profiles retention
deletes."""

import pytest
from django.utils import timezone

from segments.models import Segment, SegmentMembership
from tracking.models import VisitorProfile
from tracking.retention import apply_retention
from tracking.services import ingest_events
from tracking.tests.test_retention import DAYS, age_profiles, event_at

pytestmark = [pytest.mark.django_db, pytest.mark.time_sensitive]


def test_orphaned_anonymous_profiles_go_with_their_memberships():
    ingest_events([event_at("old", DAYS + 30), event_at("fresh", 2)])
    age_profiles("old", days_ago=DAYS + 30)
    segment = Segment.objects.create(key="s", name="S", kind=Segment.Kind.STATIC)
    SegmentMembership.objects.create(segment=segment, visitor_id="old", entered_at=timezone.now())

    result = apply_retention()

    assert result.profiles_deleted == 1
    assert list(VisitorProfile.objects.values_list("visitor_id", flat=True)) == ["fresh"]
    assert not SegmentMembership.objects.filter(visitor_id="old").exists()
