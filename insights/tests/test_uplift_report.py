"""GET /api/v1/reports/uplift: personalized vs holdout visitors over a period, revenue
attributed by visitor, consent respected, the API's shape and its errors."""

from datetime import timedelta

import pytest

from core import clock
from core.holdout import in_global_holdout
from tracking.services import ingest_events, set_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def half_held_out(settings):
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.5


def visit(visitor_id: str, *, revenue: float | None = None, days_ago: int = 1) -> None:
    at = (clock.now() - timedelta(days=days_ago)).isoformat()
    events = [{"type": "page_view", "visitor_id": visitor_id, "timestamp": at}]
    if revenue is not None:
        events.append(
            {
                "type": "purchase",
                "visitor_id": visitor_id,
                "timestamp": at,
                "properties": {"order_id": f"o-{visitor_id}-{days_ago}", "revenue": revenue},
            }
        )
    ingest_events(events)


def test_groups_rates_and_revenue_by_visitor(staff_client, half_held_out):
    visitors = [f"v{i}" for i in range(40)]
    held = [v for v in visitors if in_global_holdout(v)]
    personalized = [v for v in visitors if not in_global_holdout(v)]
    assert held and personalized
    for visitor in visitors:
        visit(visitor)
    visit(personalized[0], revenue=100.0, days_ago=2)
    visit(personalized[0], revenue=50.0, days_ago=1)  # a second order, another day
    visit(held[0], revenue=30.0)

    report = staff_client.get("/api/v1/reports/uplift?days=7").json()

    assert report["holdout_share"] == 0.5
    assert report["personalized"]["visitors"] == len(personalized)
    assert report["holdout"]["visitors"] == len(held)
    assert report["personalized"]["conversion_rate"] == pytest.approx(1 / len(personalized))
    assert report["personalized"]["revenue_per_visitor"] == pytest.approx(150 / len(personalized))
    assert report["personalized"]["average_order_value"] == pytest.approx(75.0)
    assert report["holdout"]["average_order_value"] == pytest.approx(30.0)
    lift = report["lift"]["conversion_rate"]
    expected = (1 / len(personalized)) / (1 / len(held)) - 1
    assert lift["estimate"] == pytest.approx(expected)
    assert lift["ci95"][0] < lift["estimate"] < lift["ci95"][1]
    assert set(report["srm"]) == {"p_value", "mismatch"}
    assert report["decision"] in {"keep_running", "personalization_wins", "holdout_wins"}
    assert report["attribution"] == "visitor"
    assert [row["date"] for row in report["daily"]] == sorted(r["date"] for r in report["daily"])
    assert report["daily"][-1]["holdout_visitors"] == len(held)


def test_visitors_without_personalization_consent_are_in_neither_group(staff_client, half_held_out):
    visit("v1", revenue=10.0)
    set_consent(visitor_id="v1", personalization=False)

    report = staff_client.get("/api/v1/reports/uplift").json()

    assert report["personalized"]["visitors"] + report["holdout"]["visitors"] == 0
    assert report["decision"] == "keep_running"


def test_only_the_period_counts(staff_client):
    visit("old", revenue=10.0, days_ago=40)
    visit("new", days_ago=3)
    assert (
        staff_client.get("/api/v1/reports/uplift?days=30").json()["personalized"]["visitors"] == 1
    )
    assert staff_client.get("/api/v1/reports/uplift?days=2").json()["personalized"]["visitors"] == 0


@pytest.mark.parametrize("days", ["0", "366", "x"])
def test_days_out_of_range_is_a_400_naming_the_field(staff_client, days):
    response = staff_client.get(f"/api/v1/reports/uplift?days={days}")
    assert response.status_code == 400
    assert "days" in response.json()["error"]["fields"]


def test_outsiders_get_no_report(api_client, server_api_client):
    assert api_client.get("/api/v1/reports/uplift").status_code in (401, 403)
    assert server_api_client.get("/api/v1/reports/uplift").status_code in (401, 403)
