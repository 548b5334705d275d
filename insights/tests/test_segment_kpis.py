"""Per-segment KPIs: written in SQL by the periodic task, read from the stored days by
GET /api/v1/segments/{key}/kpis, small counts suppressed for roles without visitor data."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from core import clock
from core.staff_groups import ANALYSTS, ensure_staff_groups
from insights.kpis import refresh_segment_kpis
from insights.models import SegmentKpiDay
from insights.tasks import refresh_segment_kpis_task
from segments.models import Segment, SegmentMembership
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def fans(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 3
    segment = Segment.objects.create(key="fans", name="Fans", kind=Segment.Kind.STATIC)
    now = clock.now()
    for visitor in ("a", "b", "c", "d"):
        SegmentMembership.objects.create(
            segment=segment, visitor_id=visitor, entered_at=now - timedelta(days=5)
        )
    # Left three days ago: a member on earlier days only.
    SegmentMembership.objects.create(
        segment=segment,
        visitor_id="e",
        entered_at=now - timedelta(days=10),
        left_at=now - timedelta(days=3),
    )
    yesterday = (now - timedelta(days=1)).isoformat()
    ingest_events(
        [
            {
                "type": "purchase",
                "visitor_id": "a",
                "timestamp": yesterday,
                "properties": {"order_id": "1", "revenue": 40.0},
            },
            {
                "type": "purchase",
                "visitor_id": "a",
                "timestamp": yesterday,
                "properties": {"order_id": "2", "revenue": 20.0},
            },
            {
                "type": "impression",
                "visitor_id": "b",
                "timestamp": yesterday,
                "properties": {"placement": "home-hero"},
            },
            {
                "type": "impression",
                "visitor_id": "c",
                "timestamp": yesterday,
                "properties": {"placement": "home-hero"},
            },
            {
                "type": "click",
                "visitor_id": "c",
                "timestamp": yesterday,
                "properties": {"placement": "home-hero"},
            },
            {
                "type": "purchase",
                "visitor_id": "outsider",
                "timestamp": yesterday,
                "properties": {"order_id": "3", "revenue": 99.0},
            },
        ]
    )
    return segment


def test_the_task_writes_daily_rows_in_sql(fans):
    assert refresh_segment_kpis_task() >= 1
    yesterday = SegmentKpiDay.objects.get(segment=fans, day=clock.now().date() - timedelta(days=1))
    assert (yesterday.members, yesterday.converters, yesterday.orders) == (4, 1, 2)
    assert yesterday.revenue == 60.0
    assert (yesterday.impressions, yesterday.clicks) == (2, 1)


def test_the_endpoint_reads_the_stored_days(fans, staff_client, django_assert_max_num_queries):
    refresh_segment_kpis(days=7)

    with django_assert_max_num_queries(8):
        body = staff_client.get("/api/v1/segments/fans/kpis?days=7").json()

    assert body["visitors"] == 5  # e was a member early in the window
    assert body["average_order_value"] == pytest.approx(30.0)
    assert body["revenue_per_visitor"] == pytest.approx(60.0 / 5)
    assert body["placement_ctr"] == pytest.approx(0.5)
    assert len(body["daily"]) == 7
    by_date = {row["date"]: row for row in body["daily"]}
    yesterday = by_date[(clock.now().date() - timedelta(days=1)).isoformat()]
    assert yesterday["members"] == 4 and yesterday["conversion_rate"] == pytest.approx(0.25)
    assert body["suppressed"] is False


def test_small_counts_are_suppressed_for_analysts(fans, django_user_model, settings):
    settings.PZ_MIN_SEGMENT_SIZE = 50
    refresh_segment_kpis(days=3)
    user = django_user_model.objects.create_user("ann", password="pw-ann-123456", is_staff=True)
    ensure_staff_groups()
    user.groups.add(Group.objects.get(name=ANALYSTS))
    client = APIClient()
    client.force_authenticate(user)

    body = client.get("/api/v1/segments/fans/kpis").json()

    assert body["visitors"] is None and body["suppressed"] is True
    assert body["conversion_rate"] is None and body["revenue_per_visitor"] is None
    assert all(row["members"] is None for row in body["daily"] if row["suppressed"])


def test_unknown_segments_and_bad_days(staff_client, fans):
    assert staff_client.get("/api/v1/segments/nope/kpis").status_code == 404
    response = staff_client.get("/api/v1/segments/fans/kpis?days=0")
    assert response.status_code == 400 and "days" in response.json()["error"]["fields"]


def test_the_segment_screen_shows_the_kpis(fans, client, django_user_model):
    refresh_segment_kpis(days=7)
    user = django_user_model.objects.create_superuser("root", password="pw-root-123456")
    client.force_login(user)

    html = client.get(f"/admin/segments/inspect/{fans.pk}/").content.decode()

    section = html.split('data-report="segment-kpis"', 1)[1].split("</section>", 1)[0]
    assert 'data-kpi="visitors">5<' in section
    assert "€30.00" in section and "50.0%" in section and "<svg" in section
