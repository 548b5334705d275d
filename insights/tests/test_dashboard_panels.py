"""The dashboard's panels speak the marketer's words: names, never keys or machine values."""

import pytest
from django.utils import timezone

from content.models import VariantStats
from content.tests.factories import experiment_hero
from experiments.models import Experiment
from insights import dashboard

pytestmark = pytest.mark.django_db


def test_placements_are_named_and_experiment_decisions_are_words():
    hero = experiment_hero()
    now = timezone.now()
    for variant, viewers, conversions in (("a", 100, 10), ("b", 100, 15)):
        VariantStats.objects.create(
            placement_key="home-hero",
            variant_key=variant,
            viewers=viewers,
            conversions=conversions,
            computed_at=now,
        )
    Experiment.objects.create(
        key="hero-test", name="Hero test", placement=hero, status=Experiment.Status.RUNNING
    )

    [row] = dashboard.placements_panel()["top"]
    assert row["placement"] == hero.name == "Home-Hero"
    [experiment] = dashboard.experiments_panel()
    assert experiment["verdict"] == "No results yet"
    assert experiment["sentence"] == "No results computed yet."
