"""The uplift report screen: one sentence, an SVG chart readable without JavaScript, the
table; only for staff with the reports permission."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from core import clock
from core.staff_groups import ANALYSTS, ensure_staff_groups
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db


def test_the_screen_shows_the_sentence_chart_and_table(client, django_user_model, settings):
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.5
    for day in (1, 2, 3):
        at = (clock.now() - timedelta(days=day)).isoformat()
        ingest_events(
            [{"type": "page_view", "visitor_id": f"v{i}-{day}", "timestamp": at} for i in range(20)]
            + [
                {
                    "type": "purchase",
                    "visitor_id": f"v{i}-{day}",
                    "timestamp": at,
                    "properties": {"order_id": f"o{i}-{day}", "revenue": 20.0},
                }
                for i in range(0, 20, 3)
            ]
        )
    user = django_user_model.objects.create_user("ann", password="pw-ann-123456", is_staff=True)
    ensure_staff_groups()
    user.groups.add(Group.objects.get(name=ANALYSTS))
    client.force_login(user)

    response = client.get("/admin/insights/uplift/?days=7")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-report="sentence"' in html
    chart = html.split('data-report="chart"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in chart and "<polyline" in chart  # drawn by the server, no script
    assert 'data-metric="conversion_rate"' in html
    assert "Revenue is attributed by visitor" in html


def test_staff_without_the_permission_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user("bob", password="pw-bob-123456", is_staff=True)
    ensure_staff_groups()
    client.force_login(user)
    assert client.get("/admin/insights/uplift/").status_code in (302, 403)
