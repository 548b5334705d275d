"""CUPED in an experiment's results: visitors' revenue before the experiment adjusts
their revenue after it; the report shows the variance reduction achieved."""

import random
from datetime import timedelta

import pytest

from core import clock
from experiments.models import Exposure
from experiments.services import compute_results, experiment_create, experiment_start
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db


def purchase(visitor: str, at, revenue: float, order: str) -> dict:
    return {
        "type": "purchase",
        "visitor_id": visitor,
        "timestamp": at.isoformat(),
        "properties": {"order_id": order, "revenue": revenue},
    }


def test_pre_period_revenue_reduces_the_variance(hero, admin_client):
    experiment = experiment_create(
        key="hero-test",
        name="Hero test",
        placement_key="home-hero",
        arms=[{"key": "control", "variant": "a"}, {"key": "bold", "variant": "b"}],
    )
    experiment = experiment_start(experiment=experiment)
    now = clock.now()
    rng = random.Random(5)  # noqa: S311 - test data
    events, exposures = [], []
    for index in range(120):
        visitor, arm = f"v{index}", ("control", "bold")[index % 2]
        level = rng.choice([20.0, 60.0, 150.0])  # a visitor's spending carries over
        exposures.append(
            Exposure(
                experiment=experiment,
                arm=arm,
                visitor_id=visitor,
                first_exposed_at=now - timedelta(hours=5),
            )
        )
        events.append(purchase(visitor, now - timedelta(days=3), level, f"pre-{index}"))
        events.append(
            purchase(visitor, now - timedelta(hours=1), level * rng.uniform(0.8, 1.2), f"p-{index}")
        )
    Exposure.objects.bulk_create(exposures)
    ingest_events(events)

    report = compute_results(experiment_id=experiment.pk).report

    cuped = report["cuped"]
    assert cuped["applied"] is True
    revenue = cuped["metrics"]["revenue_per_visitor"]
    assert revenue["variance_reduction"] > 0.8
    assert revenue["arms"]["bold"]["lift_low"] < revenue["arms"]["bold"]["lift_high"]
    html = admin_client.get(f"/admin/experiments/inspect/{experiment.pk}/").content.decode()
    assert 'data-report="cuped-table"' in html and "Revenue per visitor" in html


def test_without_pre_period_data_nothing_is_adjusted(hero):
    experiment = experiment_start(
        experiment=experiment_create(
            key="hero-test",
            name="Hero test",
            placement_key="home-hero",
            arms=[{"key": "control", "variant": "a"}, {"key": "bold", "variant": "b"}],
        )
    )
    Exposure.objects.create(
        experiment=experiment, arm="control", visitor_id="v1", first_exposed_at=clock.now()
    )
    report = compute_results(experiment_id=experiment.pk).report
    assert report["cuped"]["applied"] is False


def test_cuped_can_be_switched_off(hero):
    experiment = experiment_create(
        key="hero-test",
        name="Hero test",
        placement_key="home-hero",
        arms=[{"key": "control", "variant": "a"}, {"key": "bold", "variant": "b"}],
        cuped=False,
    )
    assert "cuped" not in compute_results(experiment_id=experiment.pk).report
