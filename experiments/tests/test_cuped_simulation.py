"""CUPED over simulated experiments (fixed seeds, 2,000 replications each): with a
pre-period covariate correlated with the outcome, the A/A false-positive rate stays at
alpha and the intervals get narrower; without one, nothing changes."""

import math

import numpy as np
import pytest

from experiments.statistics import (
    ArmCounts,
    CovariateCounts,
    cuped,
    lift_interval,
    normal_p_value,
    pooled_estimate,
)

REPLICATIONS = 2_000
ALPHA = 0.05
N = 2_000  # visitors per arm


def arm(key: str, y: np.ndarray, x: np.ndarray) -> CovariateCounts:
    return CovariateCounts(
        key,
        len(y),
        float(y.sum()),
        float((y**2).sum()),
        float(x.sum()),
        float((x**2).sum()),
        float((x * y).sum()),
    )


def visitors(rng: np.random.Generator, lift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Revenue before (x) and after (y) exposure: a visitor's spending level carries over
    (correlation about 0.7), plus noise."""
    level = rng.gamma(2.0, 20.0, N)
    x = level + rng.normal(0, 15, N)
    y = (level + rng.normal(0, 15, N)) * (1 + lift)
    return y, x


def simulate(seed: int, lift: float = 0.0):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(REPLICATIONS):
        (yc, xc), (yt, xt) = visitors(rng), visitors(rng, lift)
        adjusted = cuped([arm("a", yc, xc), arm("b", yt, xt)])
        plain = [
            pooled_estimate(ArmCounts(k, N, 0, float(y.sum()), float((y**2).sum())), "revenue")
            for k, y in (("a", yc), ("b", yt))
        ]
        rows.append((adjusted, plain))
    return rows


def test_aa_false_positives_stay_at_alpha_with_narrower_intervals():
    rows = simulate(seed=21)
    cuped_fp = np.mean(
        [normal_p_value(c.estimates["a"], c.estimates["b"]) < ALPHA for c, _ in rows]
    )
    plain_fp = np.mean([normal_p_value(*plain) < ALPHA for _, plain in rows])
    assert cuped_fp <= ALPHA + 0.01 and plain_fp <= ALPHA + 0.01

    def width(a, b):
        _, low, high = lift_interval(a, b, ALPHA)
        return high - low

    cuped_width = np.mean([width(c.estimates["a"], c.estimates["b"]) for c, _ in rows])
    plain_width = np.mean([width(*plain) for _, plain in rows])
    assert cuped_width < 0.8 * plain_width
    # ρ² of the simulated visitors: var(level)² / (var(level) + var(noise))²
    rho_squared = (800 / (800 + 225)) ** 2
    assert np.mean([c.variance_reduction for c, _ in rows]) == pytest.approx(rho_squared, abs=0.02)


def test_a_known_lift_is_covered_with_cuped():
    rows = simulate(seed=22, lift=0.05)
    covered = [
        low <= 0.05 <= high
        for c, _ in rows
        for _, low, high in [lift_interval(c.estimates["a"], c.estimates["b"], ALPHA)]
    ]
    assert np.mean(covered) >= 0.93


def test_without_pre_period_data_cuped_is_the_plain_mean():
    rng = np.random.default_rng(3)
    y = rng.normal(10, 2, 500)
    result = cuped([arm("a", y, np.zeros(500)), arm("b", y + 1, np.zeros(500))])
    assert result.theta == 0 and result.variance_reduction == 0
    assert result.estimates["a"].mean == pytest.approx(float(y.mean()))
    assert math.isclose(result.estimates["b"].variance, float(y.var(ddof=1)) / 500)
