"""The uplift statistics over simulated traffic (fixed seeds, 2,000 replications each):
a known lift (conversion 10% → 12%) is found and its interval covers it; with no lift
(A/A) the verdict and the intervals give false positives at alpha or less."""

import numpy as np
import pytest

from insights.statistics import GroupTotals, uplift

REPLICATIONS = 2_000
ALPHA = 0.05
HOLDOUT, PERSONALIZED = 8_000, 32_000  # a 20% holdout keeps the simulation small


def simulated_group(rng: np.random.Generator, visitors: int, rate: float) -> GroupTotals:
    """Visitors convert with `rate`; a converter places 1 + Poisson(0.3) orders of a
    log-normal value (mean about 60)."""
    converters = int(rng.binomial(visitors, rate))
    orders = 1 + rng.poisson(0.3, converters)
    revenue = orders * rng.lognormal(3.9, 0.6, converters)
    return GroupTotals(
        visitors=visitors,
        converters=converters,
        orders=int(orders.sum()),
        revenue=float(revenue.sum()),
        revenue_sq=float((revenue**2).sum()),
        orders_sq=float((orders**2).sum()),
        revenue_orders=float((revenue * orders).sum()),
    )


def simulate(rate_holdout: float, rate_personalized: float, seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [
        uplift(
            simulated_group(rng, PERSONALIZED, rate_personalized),
            simulated_group(rng, HOLDOUT, rate_holdout),
            holdout_share=HOLDOUT / (HOLDOUT + PERSONALIZED),
            alpha=ALPHA,
        )
        for _ in range(REPLICATIONS)
    ]


def covered(results: list, metric: str, truth: float) -> float:
    return float(np.mean([r.lift[metric].low <= truth <= r.lift[metric].high for r in results]))


@pytest.mark.parametrize("seed", [17])
def test_a_known_lift_is_found_and_covered(seed):
    results = simulate(0.10, 0.12, seed)

    found = np.mean([r.decision == "personalization_wins" for r in results])
    assert found >= 0.9
    assert not any(r.decision == "holdout_wins" for r in results)
    assert covered(results, "conversion_rate", 0.2) >= 0.93
    assert covered(results, "revenue_per_visitor", 0.2) >= 0.93  # same order values
    assert covered(results, "average_order_value", 0.0) >= 0.93
    estimates = [r.lift["conversion_rate"].estimate for r in results]
    assert np.mean(estimates) == pytest.approx(0.2, abs=0.01)


@pytest.mark.parametrize("seed", [18])
def test_no_lift_gives_false_positives_at_alpha_or_less(seed):
    results = simulate(0.10, 0.10, seed)

    assert np.mean([r.decision.endswith("_wins") for r in results]) <= ALPHA + 0.01
    for metric in ("conversion_rate", "revenue_per_visitor", "average_order_value"):
        assert 1 - covered(results, metric, 0.0) <= ALPHA + 0.01, metric
    assert not any(r.srm for r in results)


def test_sample_ratio_mismatch_blocks_the_verdict():
    personalized = GroupTotals(visitors=9_000, converters=1_800)
    holdout = GroupTotals(visitors=1_500, converters=100)  # 14% held out, 5% configured
    result = uplift(personalized, holdout, holdout_share=0.05)
    assert result.srm and result.decision == "keep_running"


def test_empty_groups_give_no_lift_and_no_verdict():
    result = uplift(GroupTotals(0), GroupTotals(0), holdout_share=0.05)
    assert result.lift["conversion_rate"].estimate is None
    assert result.decision == "keep_running"
