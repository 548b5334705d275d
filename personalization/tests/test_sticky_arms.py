"""Sticky arms: re-weighting (adaptive experiments) never moves a visitor who was already
shown an arm; only new visitors follow the new weights. Pure simulation on 10,000
visitors, then through `decide` with the cache warm, cleared and down."""

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from experiments.assignment import (
    ArmSpec,
    ExperimentSpec,
    assign,
    needs_reallocation,
    shares,
    thompson_weights,
)
from experiments.models import Allocation, Experiment, Exposure
from experiments.selectors import Assignment
from experiments.services import (
    compute_results,
    experiment_create,
    experiment_start,
    reallocate,
    record_exposures,
)
from personalization.services import decide
from tracking.services import ingest_events

EXPOSED = [f"exposed-{i}" for i in range(10_000)]
NEWCOMERS = [f"new-{i}" for i in range(20_000)]
REWEIGHTINGS = [(90, 10), (10, 90), (3, 97), (70, 30), (50, 50)]
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def spec(a: int, b: int) -> ExperimentSpec:
    return ExperimentSpec(key="hero", seed="s1", arms=(ArmSpec("a", a), ArmSpec("b", b)))


def test_reweighting_moves_none_of_10000_exposed_visitors():
    first = spec(50, 50)
    exposed = {visitor: assign(first, visitor) for visitor in EXPOSED}
    for a, b in REWEIGHTINGS:
        reweighted = replace(first, arms=(ArmSpec("a", a), ArmSpec("b", b)))
        by_hash_alone = sum(assign(reweighted, v) != arm for v, arm in exposed.items())
        moved = sum(assign(reweighted, v, arm) != arm for v, arm in exposed.items())
        assert moved == 0
        if (a, b) != (50, 50):
            assert by_hash_alone > 1000  # the re-weighting is real: plain hashing moves many

        newcomers = Counter(assign(reweighted, v) for v in NEWCOMERS)
        assert newcomers["a"] / len(NEWCOMERS) == pytest.approx(a / (a + b), abs=0.01)


def test_an_exposed_arm_that_is_no_longer_an_arm_is_ignored():
    assert assign(spec(50, 50), "v1", "gone") in {"a", "b"}


def test_thompson_weights_keep_a_floor_and_reallocate_only_on_a_real_move():
    weights = thompson_weights({"a": 0.999, "b": 0.001})
    assert shares(weights)["b"] == pytest.approx(0.05, abs=0.002)
    assert sum(weights.values()) == pytest.approx(1000, abs=2)
    assert not needs_reallocation({"a": 50, "b": 50}, thompson_weights({"a": 0.52, "b": 0.48}))
    assert needs_reallocation({"a": 50, "b": 50}, weights)


def adaptive_experiment() -> Experiment:
    experiment = experiment_create(
        key="hero-bandit",
        name="Hero bandit",
        placement_key="home-hero",
        arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
        adaptive=True,
    )
    return experiment_start(experiment=experiment)


def shown(visitor_id: str) -> str:
    decision = decide(visitor_id=visitor_id, placement_keys=["home-hero"], context={}, now=NOW)
    return decision.placements["home-hero"].experiment["arm"]


@pytest.mark.django_db(transaction=True)
def test_reweighting_through_decide_moves_no_exposed_visitor(hero):
    experiment = adaptive_experiment()
    visitors = [f"v{i}" for i in range(300)]
    first = {v: shown(v) for v in visitors}
    assert dict(Exposure.objects.values_list("visitor_id", "arm")) == first
    assert set(Exposure.objects.values_list("allocation", flat=True)) == {0}

    for number, chance_best in enumerate(
        ({"a": 0.99, "b": 0.01}, {"a": 0.01, "b": 0.99}, {"a": 0.6, "b": 0.4}), start=1
    ):
        assert reallocate(experiment=experiment, chance_best=chance_best, now=NOW) is not None
        assert {v: shown(v) for v in visitors} == first  # warm cache
        newcomers = [f"n{number}-{i}" for i in range(200)]
        arms = Counter(shown(v) for v in newcomers)
        favoured = max(chance_best, key=chance_best.get)
        assert arms[favoured] > 100  # the new weights place the newcomers
        assert set(
            Exposure.objects.filter(visitor_id__in=newcomers).values_list("allocation", flat=True)
        ) == {number}

    assert Allocation.objects.filter(experiment=experiment).count() == 3
    assert dict(
        Exposure.objects.filter(visitor_id__in=visitors).values_list("visitor_id", "arm")
    ) == (first)


@pytest.mark.django_db(transaction=True)
def test_the_exposure_rows_decide_when_the_cache_lost_or_cannot_hold_the_arm(hero):
    experiment = adaptive_experiment()
    visitors = [f"v{i}" for i in range(100)]
    first = {v: shown(v) for v in visitors}
    reallocate(experiment=experiment, chance_best={"a": 0.999, "b": 0.001}, now=NOW)
    reallocate(experiment=experiment, chance_best={"a": 0.001, "b": 0.999}, now=NOW)
    from django.core.cache import cache

    cache.clear()  # evicted or flushed: the exposure rows are read and cached again
    assert {v: shown(v) for v in visitors} == first
    with CaptureQueriesContext(connection) as warm:
        assert {v: shown(v) for v in visitors} == first
    assert not [q for q in warm.captured_queries if "experiments_exposure" in q["sql"]]

    dead = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=dead):  # every read a miss, as a dead Redis answers
        assert {v: shown(v) for v in visitors} == first
    assert Exposure.objects.count() == len(visitors)


@pytest.mark.django_db(transaction=True)
def test_results_reallocate_an_adaptive_experiment_and_decide_follows(hero):
    experiment = adaptive_experiment()
    at = NOW - timedelta(hours=2)
    for i in range(400):
        decide(visitor_id=f"v{i}", placement_keys=["home-hero"], context={}, now=at)
    buyers = Exposure.objects.filter(arm="b").values_list("visitor_id", flat=True)[:60]
    ingest_events(
        [
            {"type": "purchase", "visitor_id": v, "properties": {"order_id": v, "revenue": 20}}
            for v in buyers
        ]
    )
    compute_results(experiment_id=experiment.pk, now=NOW)

    allocation = Allocation.objects.get(experiment=experiment)
    assert allocation.number == 1 and shares(allocation.weights)["b"] > 0.9
    newcomers = Counter(shown(f"n{i}") for i in range(200))
    assert newcomers["b"] > 160


@pytest.mark.django_db(transaction=True)
def test_an_erased_visitor_is_exposed_and_counted_afresh(hero):
    from tracking.services import erase_visitor

    experiment = adaptive_experiment()
    ingest_events([{"type": "page_view", "visitor_id": "gone"}])
    shown("gone")
    assert erase_visitor(visitor_id="gone")
    assert not Exposure.objects.filter(visitor_id="gone").exists()

    ingest_events([{"type": "page_view", "visitor_id": "gone"}])
    shown("gone")
    assert Exposure.objects.filter(experiment=experiment, visitor_id="gone").count() == 1


@pytest.mark.django_db
def test_a_first_exposure_is_one_insert_and_a_stored_one_is_kept(hero):
    from django.core.cache import cache

    experiment = adaptive_experiment()
    ingest_events([{"type": "page_view", "visitor_id": "v-exp"}], now=NOW)
    with CaptureQueriesContext(connection) as queries:
        arm = shown("v-exp")
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1 and not [q for q in queries if q["sql"] in ("BEGIN", "COMMIT")]
    row = Exposure.objects.get(experiment=experiment, visitor_id="v-exp")
    assert (row.arm, row.first_exposed_at, row.allocation) == (arm, NOW, 0)

    # The cache lost the marker and a request draws another arm: the stored first
    # exposure is kept, the conflicting insert is skipped.
    cache.clear()
    other = Assignment(experiment.pk, experiment.key, "b" if arm == "a" else "a", "x")
    record_exposures("v-exp", [other], NOW)
    assert list(Exposure.objects.filter(visitor_id="v-exp").values_list("arm", flat=True)) == [arm]
