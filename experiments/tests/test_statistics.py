"""Known-answer tests of each statistic against scipy/statsmodels on fixed inputs, SRM
detection, and the A/A peeking simulation for the sequential decision."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

from experiments import statistics as st


def test_wilson_interval_matches_statsmodels():
    assert st.wilson_interval(37, 412) == pytest.approx(
        proportion_confint(37, 412, method="wilson")
    )
    assert st.wilson_interval(0, 50) == pytest.approx(
        proportion_confint(0, 50, method="wilson"), abs=1e-12
    )


def test_two_proportion_test_matches_statsmodels():
    z, p = st.two_proportion_test(120, 1000, 150, 1000)
    z_ref, p_ref = proportions_ztest([150, 120], [1000, 1000])
    assert z == pytest.approx(z_ref) and p == pytest.approx(p_ref)


def test_welch_from_aggregates_matches_scipy_on_raw_data():
    rng = np.random.default_rng(3)
    a = rng.exponential(20, 300) * (rng.random(300) < 0.3)
    b = rng.exponential(25, 280) * (rng.random(280) < 0.3)
    result = st.welch_test(len(a), a.sum(), (a * a).sum(), len(b), b.sum(), (b * b).sum())
    reference = stats.ttest_ind(b, a, equal_var=False)
    assert result.t == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    low, high = reference.confidence_interval()
    assert (result.low, result.high) == (pytest.approx(low), pytest.approx(high))


def test_holm_matches_statsmodels():
    p_values = [0.01, 0.04, 0.03, 0.2]
    assert st.holm(p_values) == pytest.approx(list(multipletests(p_values, method="holm")[1]))


def test_relative_lift_interval_contains_the_lift_and_is_log_symmetric():
    lift, low, high = st.lift_interval(
        st.pooled_estimate(st.ArmCounts("a", 1000, 100)),
        st.pooled_estimate(st.ArmCounts("b", 1000, 130)),
    )
    assert lift == pytest.approx(0.3)
    assert low < lift < high
    assert math.log1p(lift) - math.log1p(low) == pytest.approx(math.log1p(high) - math.log1p(lift))


def test_srm_matches_scipy_chisquare_and_flags_a_broken_split():
    chi2, p = st.sample_ratio_mismatch([5000, 5400], [50, 50])
    ref = stats.chisquare([5000, 5400], [5200, 5200])
    assert (chi2, p) == (pytest.approx(ref.statistic), pytest.approx(ref.pvalue))
    assert p < 0.001
    assert st.sample_ratio_mismatch([5010, 4990], [50, 50])[1] > 0.1


def test_sample_size_matches_statsmodels_power_analysis():
    ours = st.sample_size_per_arm(0.10, 0.20, alpha=0.05, power=0.8)
    effect = proportion_effectsize(0.12, 0.10)
    reference = NormalIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8)
    assert ours == pytest.approx(reference, rel=0.02)


def test_beta_comparison_agrees_with_numerical_integration():
    chance, loss = st.beta_comparison(40, 400, 55, 400, draws=400_000)
    grid = np.linspace(0, 1, 20001)
    control = stats.beta(41, 361)
    treatment = stats.beta(56, 346)
    exact = np.trapezoid(treatment.pdf(grid) * control.cdf(grid), grid)
    assert chance == pytest.approx(exact, abs=0.005)
    assert 0 < loss < 0.01


def test_always_valid_p_never_increases():
    p = 1.0
    for lr in [0.5, 3.0, 1.2, 10.0, 2.0]:
        new = st.always_valid_p(p, lr)
        assert new <= p
        p = new
    assert p == pytest.approx(0.1)


def test_peeking_at_aa_tests_after_every_batch_keeps_false_positives_under_alpha():
    """1,000 A/A experiments looked at 30 times each: the always-valid p-value the decision
    uses (running minimum of 1/Λ) crosses alpha at most alpha (+ tolerance) of the time;
    naive fixed-horizon p-values at every look do far worse."""
    rng = np.random.default_rng(2026)
    sims, looks, batch, rate, alpha = 1000, 30, 200, 0.1, 0.05
    always_valid_hits = naive_hits = 0
    for _ in range(sims):
        control = np.cumsum(rng.binomial(batch, rate, looks))
        treatment = np.cumsum(rng.binomial(batch, rate, looks))
        p, naive = 1.0, False
        for look in range(looks):
            n = batch * (look + 1)
            c, t = int(control[look]), int(treatment[look])
            tau_squared = st.mixing_variance(c / n, 0.1)
            baseline = st.pooled_estimate(st.ArmCounts("a", n, c))
            treated = st.pooled_estimate(st.ArmCounts("b", n, t))
            ratio = st.mixture_likelihood_ratio(
                treated.mean - baseline.mean, baseline.variance + treated.variance, tau_squared
            )
            p = st.always_valid_p(p, ratio)
            naive = naive or st.two_proportion_test(c, n, t, n)[1] < alpha
        always_valid_hits += p < alpha
        naive_hits += naive
    assert always_valid_hits / sims <= alpha + 0.015
    assert naive_hits / sims > 2 * alpha  # the simulation does exercise peeking


def test_a_real_lift_is_declared_the_winner():
    counts = [st.ArmCounts("a", 20_000, 2000), st.ArmCounts("b", 20_000, 2500)]
    analysis = st.analyse(counts, control="a", weights=[1, 1])
    assert analysis.decision == "winner:b"
    assert analysis.arms[1].chance_to_beat_control > 0.99


def test_srm_blocks_any_verdict():
    counts = [st.ArmCounts("a", 20_000, 2000), st.ArmCounts("b", 23_000, 2900)]
    analysis = st.analyse(counts, control="a", weights=[1, 1])
    assert analysis.srm and analysis.decision == "keep_running"


def test_no_difference_once_the_planned_sample_is_reached():
    counts = [st.ArmCounts("a", 200_000, 20_000), st.ArmCounts("b", 200_000, 20_050)]
    analysis = st.analyse(counts, control="a", weights=[1, 1])
    assert analysis.decision == "no_difference"
