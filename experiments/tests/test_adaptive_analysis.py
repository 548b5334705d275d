"""The adaptive report's estimator on simulations with a known effect: allocation periods
whose weights and baselines differ (later visitors had less time to convert) bias the
pooled comparison; the period-weighted one recovers the true effect, with intervals that
cover it as often as they claim and the per-period SRM check."""

import numpy as np
import pytest

from experiments import statistics as st

# (share of new visitors sent to b, conversion rate of a in that period)
PERIODS = [(0.5, 0.10), (0.9, 0.04)]


def simulate(rng: np.random.Generator, effect: float, visitors: int = 20_000) -> list[st.Period]:
    """Per period: visitors split by the period's weights, b converting at (1 + effect)
    times a's rate."""
    periods = []
    for share_b, base in PERIODS:
        n_b = int(rng.binomial(visitors, share_b))
        n_a = visitors - n_b
        periods.append(
            st.Period(
                weights={"a": 1 - share_b, "b": share_b},
                counts=[
                    st.ArmCounts("a", n_a, int(rng.binomial(n_a, base))),
                    st.ArmCounts("b", n_b, int(rng.binomial(n_b, base * (1 + effect)))),
                ],
            )
        )
    return periods


def pooled(periods: list[st.Period]) -> list[st.ArmCounts]:
    return [
        st.ArmCounts(
            key,
            sum(p.arm(key).exposures for p in periods),
            sum(p.arm(key).conversions for p in periods),
        )
        for key in ("a", "b")
    ]


def test_period_weighted_estimate_by_hand():
    periods = [
        st.Period({"a": 1, "b": 1}, [st.ArmCounts("a", 100, 10), st.ArmCounts("b", 100, 20)]),
        st.Period({"a": 1, "b": 9}, [st.ArmCounts("a", 20, 1), st.ArmCounts("b", 180, 9)]),
    ]
    estimate = st.period_weighted_estimate(periods, "b")
    assert estimate.mean == pytest.approx(0.5 * 0.2 + 0.5 * 0.05)
    assert estimate.variance == pytest.approx(0.25 * 0.2 * 0.8 / 100 + 0.25 * 0.05 * 0.95 / 180)


def test_without_an_effect_pooling_invents_one_and_period_weighting_does_not():
    periods = simulate(np.random.default_rng(1), effect=0.0)
    naive = st.analyse(pooled(periods), control="a", weights=[1, 1], srm_threshold=0)
    assert naive.decision == "winner:a" and naive.arms[1].lift < -0.2

    analysis = st.analyse(pooled(periods), control="a", weights=[1, 1], periods=periods)
    b = analysis.arms[1]
    assert analysis.estimator == st.PERIOD_WEIGHTED
    assert b.lift_low < 0 < b.lift_high
    assert not analysis.decision.startswith("winner:")
    assert not analysis.srm


def test_a_known_effect_is_recovered_and_declared():
    periods = simulate(np.random.default_rng(2), effect=0.3)
    analysis = st.analyse(pooled(periods), control="a", weights=[1, 1], periods=periods)
    b = analysis.arms[1]
    assert b.lift_low < 0.3 < b.lift_high
    assert b.lift == pytest.approx(0.3, abs=0.08)
    assert analysis.decision == "winner:b"


def test_intervals_cover_the_true_effect_as_often_as_they_claim():
    rng = np.random.default_rng(3)
    covered_weighted = covered_pooled = false_alarms = 0
    runs = 400
    for _ in range(runs):
        periods = simulate(rng, effect=0.2, visitors=5_000)
        control, treatment = st.paired_estimates(pooled(periods), periods, "a", "b")
        _, low, high = st.lift_interval(control, treatment)
        covered_weighted += low <= 0.2 <= high
        counts = pooled(periods)
        _, low, high = st.lift_interval(
            st.pooled_estimate(counts[0]), st.pooled_estimate(counts[1])
        )
        covered_pooled += low <= 0.2 <= high
        null = simulate(rng, effect=0.0, visitors=5_000)
        false_alarms += st.normal_p_value(*st.paired_estimates(pooled(null), null, "a", "b")) < 0.05
    assert 0.92 <= covered_weighted / runs <= 0.98
    assert covered_pooled / runs < 0.2
    assert false_alarms / runs <= 0.08


def test_sample_ratio_is_checked_against_each_periods_weights():
    periods = simulate(np.random.default_rng(4), effect=0.0)
    observed = [[p.arm("a").exposures, p.arm("b").exposures] for p in periods]
    weights = [[p.weights["a"], p.weights["b"]] for p in periods]
    assert st.sample_ratio_mismatch_by_period(observed, weights)[1] > 0.001
    assert st.sample_ratio_mismatch([sum(r) for r in zip(*observed, strict=True)], [1, 1])[1] < 1e-6
    observed[1][0] += 400  # logging lost part of b in the second period
    assert st.sample_ratio_mismatch_by_period(observed, weights)[1] < 0.001


@pytest.mark.django_db
def test_the_adaptive_report_is_period_weighted_and_checks_each_periods_split():
    from datetime import UTC, datetime, timedelta

    from content.tests.factories import component, placement
    from experiments.models import Allocation, Exposure
    from experiments.services import compute_results, experiment_create, experiment_start

    placement(
        "home-hero",
        [
            {"key": "a", "component": component("hero-a"), "is_fallback": True},
            {"key": "b", "component": component("hero-b"), "priority": 1},
        ],
    )
    experiment = experiment_start(
        experiment=experiment_create(
            key="bandit",
            name="Bandit",
            placement_key="home-hero",
            arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
            adaptive=True,
        )
    )
    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    Allocation.objects.create(
        experiment=experiment, number=1, weights={"a": 100, "b": 900}, started_at=now
    )
    split = {0: {"a": 500, "b": 500}, 1: {"a": 100, "b": 900}}
    Exposure.objects.bulk_create(
        Exposure(
            experiment=experiment,
            arm=arm,
            visitor_id=f"{number}-{arm}-{i}",
            first_exposed_at=now - timedelta(days=1 - number),
            allocation=number,
        )
        for number, arms in split.items()
        for arm, count in arms.items()
        for i in range(count)
    )

    report = compute_results(experiment_id=experiment.pk, now=now).report

    assert report["estimator"] == "period_weighted"
    assert not report["srm"]["flag"], report["srm"]
    assert [(row["number"], row["exposures"]) for row in report["allocations"]] == [
        (0, split[0]),
        (1, split[1]),
    ]
