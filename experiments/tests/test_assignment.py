"""Deterministic sticky assignment: distribution, stickiness under traffic changes, layers,
and the global holdout's hash (core.bucketing) kept apart from enrolment."""

from collections import Counter

import pytest
from scipy import stats

from core.bucketing import in_share
from experiments.assignment import (
    ArmSpec,
    ExperimentSpec,
    arm_for,
    assign,
    enrolled,
    free_layer_slice,
)

VISITORS = [f"visitor-{i}" for i in range(100_000)]


def spec(**overrides) -> ExperimentSpec:
    base = {
        "key": "hero",
        "seed": "s1",
        "arms": (ArmSpec("a", 50), ArmSpec("b", 30), ArmSpec("c", 20)),
    }
    return ExperimentSpec(**{**base, **overrides})


def test_arms_follow_the_weights_on_100k_visitors():
    counts = Counter(arm_for(spec(), v) for v in VISITORS)
    observed = [counts["a"], counts["b"], counts["c"]]
    _, p_value = stats.chisquare(observed, [50_000, 30_000, 20_000])
    assert p_value > 0.001, observed


def test_the_same_visitor_always_gets_the_same_arm_and_seeds_differ():
    assert all(assign(spec(), v) == assign(spec(), v) for v in VISITORS[:1000])
    other = sum(arm_for(spec(), v) != arm_for(spec(seed="s2"), v) for v in VISITORS[:10_000])
    assert other > 3000  # a new seed reshuffles


def test_raising_traffic_only_adds_visitors_and_never_moves_one():
    low, high = spec(traffic=0.2), spec(traffic=0.5)
    before = {v: assign(low, v) for v in VISITORS}
    after = {v: assign(high, v) for v in VISITORS}
    enrolled_before = {v for v, arm in before.items() if arm}
    assert enrolled_before <= {v for v, arm in after.items() if arm}
    assert all(after[v] == before[v] for v in enrolled_before)
    share = sum(1 for arm in after.values() if arm) / len(VISITORS)
    assert share == pytest.approx(0.5, abs=0.01)


def test_experiments_in_one_layer_are_mutually_exclusive():
    first = spec(key="x", seed="x", layer_seed="layer", layer_start=0, layer_end=5000)
    second = spec(key="y", seed="y", layer_seed="layer", layer_start=5000, layer_end=10000)
    both = [v for v in VISITORS[:20_000] if enrolled(first, v) and enrolled(second, v)]
    either = [v for v in VISITORS[:20_000] if enrolled(first, v) or enrolled(second, v)]
    assert both == [] and len(either) == 20_000


def test_free_layer_slice_finds_gaps():
    assert free_layer_slice([], 3000) == (0, 3000)
    assert free_layer_slice([(0, 3000), (5000, 10000)], 2000) == (3000, 5000)
    assert free_layer_slice([(0, 3000), (5000, 10000)], 2500) is None


def test_holdout_is_independent_of_enrolment():
    """The global holdout hashes with its own salt: held-out visitors are a random 5%
    of every experiment's would-be enrolment, not a slice of it."""
    spec = ExperimentSpec("x", "seed-x", (ArmSpec("a", 1), ArmSpec("b", 1)), traffic=0.5)
    held = [v for v in VISITORS if in_share(0.05, "holdout", "g", v)]
    share_enrolled = sum(enrolled(spec, v) for v in held) / len(held)
    assert share_enrolled == pytest.approx(0.5, abs=0.03)
