"""Experiment statistics from aggregate counts: pure functions over numbers (scipy for the
distributions), so they are testable against known answers and cheap to recompute.

Decisions use an always-valid test (mSPRT, Johari et al. 2017) so that looking at results
after every batch does not inflate false positives; fixed-horizon p-values and Bayesian
summaries are reported beside it for reading, not for stopping.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class ArmCounts:
    key: str
    exposures: int
    conversions: int
    revenue_sum: float = 0.0
    revenue_sumsq: float = 0.0  # sum over visitors of (revenue per visitor)^2


def wilson_interval(successes: int, trials: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a proportion (good near 0 and with small n)."""
    if trials == 0:
        return 0.0, 1.0
    z = stats.norm.ppf(1 - alpha / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_test(c1: int, n1: int, c2: int, n2: int) -> tuple[float, float]:
    """Pooled two-sided z-test of p2 - p1: (z, p-value)."""
    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    pooled = (c1 + c2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (c2 / n2 - c1 / n1) / se
    return z, 2 * stats.norm.sf(abs(z))


def relative_lift_interval(
    c_control: int, n_control: int, c_treatment: int, n_treatment: int, alpha: float = 0.05
) -> tuple[float, float, float]:
    """Relative lift p_t / p_c - 1 with a delta-method interval on log(p_t / p_c)."""
    if min(c_control, c_treatment, n_control, n_treatment) == 0:
        lift = (
            (c_treatment / n_treatment) / (c_control / n_control) - 1
            if (n_control and n_treatment and c_control)
            else 0.0
        )
        return lift, -math.inf, math.inf
    p_c, p_t = c_control / n_control, c_treatment / n_treatment
    log_ratio = math.log(p_t / p_c)
    se = math.sqrt((1 - p_t) / (n_treatment * p_t) + (1 - p_c) / (n_control * p_c))
    z = stats.norm.ppf(1 - alpha / 2)
    return p_t / p_c - 1, math.exp(log_ratio - z * se) - 1, math.exp(log_ratio + z * se) - 1


@dataclass(frozen=True)
class WelchResult:
    difference: float
    low: float
    high: float
    t: float
    df: float
    p_value: float


def mean_and_variance(n: int, total: float, total_sq: float) -> tuple[float, float]:
    """Sample mean and unbiased variance from a count, a sum and a sum of squares."""
    if n == 0:
        return 0.0, 0.0
    mean = total / n
    variance = max(total_sq - n * mean * mean, 0.0) / (n - 1) if n > 1 else 0.0
    return mean, variance


def welch_test(
    n1: int, sum1: float, sumsq1: float, n2: int, sum2: float, sumsq2: float, alpha: float = 0.05
) -> WelchResult:
    """Welch's unequal-variance t-test of mean2 - mean1 from aggregates."""
    mean1, var1 = mean_and_variance(n1, sum1, sumsq1)
    mean2, var2 = mean_and_variance(n2, sum2, sumsq2)
    difference = mean2 - mean1
    if n1 < 2 or n2 < 2:
        return WelchResult(difference, -math.inf, math.inf, 0.0, 0.0, 1.0)
    a, b = var1 / n1, var2 / n2
    se = math.sqrt(a + b)
    if se == 0:
        return WelchResult(difference, difference, difference, 0.0, float(n1 + n2 - 2), 1.0)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1)) if a + b else float(n1 + n2 - 2)
    t = difference / se
    p_value = 2 * stats.t.sf(abs(t), df)
    margin = stats.t.ppf(1 - alpha / 2, df) * se
    return WelchResult(difference, difference - margin, difference + margin, t, df, p_value)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        value = min(1.0, (len(p_values) - rank) * p_values[index])
        running = max(running, value)
        adjusted[index] = running
    return adjusted


def beta_comparison(
    c_control: int,
    n_control: int,
    c_treatment: int,
    n_treatment: int,
    *,
    draws: int = 100_000,
    seed: int = 0,
) -> tuple[float, float]:
    """Beta(1+c, 1+n-c) posteriors: P(treatment beats control) and the expected loss of
    choosing the treatment (E[max(p_c - p_t, 0)])."""
    rng = np.random.default_rng(seed)
    control = rng.beta(1 + c_control, 1 + n_control - c_control, draws)
    treatment = rng.beta(1 + c_treatment, 1 + n_treatment - c_treatment, draws)
    return float(np.mean(treatment > control)), float(np.mean(np.maximum(control - treatment, 0)))


def msprt_likelihood_ratio(
    c_control: int, n_control: int, c_treatment: int, n_treatment: int, tau_squared: float
) -> float:
    """Mixture SPRT statistic for the difference of two proportions (normal approximation,
    N(0, tau²) mixing over the effect). 1 / the running maximum is an always-valid p-value."""
    if n_control == 0 or n_treatment == 0:
        return 1.0
    p_c, p_t = c_control / n_control, c_treatment / n_treatment
    variance = p_c * (1 - p_c) / n_control + p_t * (1 - p_t) / n_treatment
    if variance <= 0:
        return 1.0
    effect = p_t - p_c
    log_ratio = 0.5 * math.log(variance / (variance + tau_squared)) + (
        tau_squared * effect * effect / (2 * variance * (variance + tau_squared))
    )
    return math.exp(min(log_ratio, 700.0))


def mixing_variance(baseline_rate: float, minimum_detectable_effect: float) -> float:
    """tau² of the mSPRT mixture: the squared absolute effect the test is tuned to find."""
    return max((minimum_detectable_effect * max(baseline_rate, 0.01)) ** 2, 1e-8)


def always_valid_p(previous: float, likelihood_ratio: float) -> float:
    """p_n = min(p_{n-1}, 1 / Λ_n): non-increasing, valid at any stopping time."""
    return min(previous, 1.0 / likelihood_ratio if likelihood_ratio > 0 else 1.0, 1.0)


def sample_ratio_mismatch(observed: Sequence[int], weights: Sequence[float]) -> tuple[float, float]:
    """Chi-square goodness of fit of exposures against the configured weights: (chi², p)."""
    total = sum(observed)
    if total == 0 or len(observed) < 2:
        return 0.0, 1.0
    weight_sum = sum(weights)
    expected = [total * w / weight_sum for w in weights]
    chi2 = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True) if e > 0)
    return chi2, float(stats.chi2.sf(chi2, len(observed) - 1))


def sample_size_per_arm(
    baseline: float, minimum_detectable_effect: float, *, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Visitors per arm for a two-sided two-proportion test to detect a relative lift of
    `minimum_detectable_effect` over `baseline` with the given power."""
    p1 = baseline
    p2 = baseline * (1 + minimum_detectable_effect)
    if not 0 < p1 < 1 or not 0 < p2 < 1 or p1 == p2:
        raise ValueError("baseline and effect must give two different rates in (0, 1)")
    z_alpha = stats.norm.ppf(1 - alpha / 2)
    z_beta = stats.norm.ppf(power)
    mean = (p1 + p2) / 2
    numerator = (
        z_alpha * math.sqrt(2 * mean * (1 - mean))
        + z_beta * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2
    return math.ceil(numerator / (p2 - p1) ** 2)


@dataclass
class ArmResult:
    key: str
    exposures: int
    conversions: int
    rate: float
    rate_low: float
    rate_high: float
    revenue_per_visitor: float
    revenue_low: float
    revenue_high: float
    is_control: bool = False
    lift: float | None = None
    lift_low: float | None = None
    lift_high: float | None = None
    p_value: float | None = None
    p_value_adjusted: float | None = None
    always_valid_p: float | None = None
    always_valid_p_adjusted: float | None = None
    revenue_p_value: float | None = None
    chance_to_beat_control: float | None = None
    expected_loss: float | None = None
    likelihood_ratio: float | None = None


@dataclass
class Analysis:
    arms: list[ArmResult]
    srm_chi2: float
    srm_p_value: float
    srm: bool
    decision: str
    sample_size_per_arm: int | None
    notes: list[str] = field(default_factory=list)


def analyse(
    counts: Sequence[ArmCounts],
    *,
    control: str,
    weights: Sequence[float],
    previous_always_valid: dict[str, float] | None = None,
    alpha: float = 0.05,
    minimum_detectable_effect: float = 0.1,
    srm_threshold: float = 0.001,
) -> Analysis:
    """Everything the report shows, and the decision: `winner:<arm>` when an arm differs
    from control under the always-valid, Holm-adjusted test (the better side wins),
    `no_difference` once every arm has the planned sample without a significant
    difference, else `keep_running`. A sample-ratio mismatch blocks any verdict."""
    previous_always_valid = previous_always_valid or {}
    by_key = {c.key: c for c in counts}
    base = by_key[control]
    baseline_rate = base.conversions / base.exposures if base.exposures else 0.0
    tau_squared = mixing_variance(baseline_rate, minimum_detectable_effect)
    results: list[ArmResult] = []
    for arm in counts:
        low, high = wilson_interval(arm.conversions, arm.exposures, alpha)
        mean, variance = mean_and_variance(arm.exposures, arm.revenue_sum, arm.revenue_sumsq)
        margin = (
            stats.t.ppf(1 - alpha / 2, arm.exposures - 1) * math.sqrt(variance / arm.exposures)
            if arm.exposures > 1
            else math.inf
        )
        result = ArmResult(
            key=arm.key,
            exposures=arm.exposures,
            conversions=arm.conversions,
            rate=arm.conversions / arm.exposures if arm.exposures else 0.0,
            rate_low=low,
            rate_high=high,
            revenue_per_visitor=mean,
            revenue_low=mean - margin,
            revenue_high=mean + margin,
            is_control=arm.key == control,
        )
        if arm.key != control:
            result.lift, result.lift_low, result.lift_high = relative_lift_interval(
                base.conversions, base.exposures, arm.conversions, arm.exposures, alpha
            )
            result.p_value = two_proportion_test(
                base.conversions, base.exposures, arm.conversions, arm.exposures
            )[1]
            result.revenue_p_value = welch_test(
                base.exposures,
                base.revenue_sum,
                base.revenue_sumsq,
                arm.exposures,
                arm.revenue_sum,
                arm.revenue_sumsq,
                alpha,
            ).p_value
            result.chance_to_beat_control, result.expected_loss = beta_comparison(
                base.conversions, base.exposures, arm.conversions, arm.exposures
            )
            result.likelihood_ratio = msprt_likelihood_ratio(
                base.conversions, base.exposures, arm.conversions, arm.exposures, tau_squared
            )
            result.always_valid_p = always_valid_p(
                previous_always_valid.get(arm.key, 1.0), result.likelihood_ratio
            )
        results.append(result)

    treatments = [r for r in results if not r.is_control]
    for adjusted, arm in zip(holm([r.p_value or 1.0 for r in treatments]), treatments, strict=True):
        arm.p_value_adjusted = adjusted
    for adjusted, arm in zip(
        holm([r.always_valid_p or 1.0 for r in treatments]), treatments, strict=True
    ):
        arm.always_valid_p_adjusted = adjusted

    chi2, srm_p = sample_ratio_mismatch([c.exposures for c in counts], weights)
    planned = None
    if 0 < baseline_rate < 1 and baseline_rate * (1 + minimum_detectable_effect) < 1:
        planned = sample_size_per_arm(baseline_rate, minimum_detectable_effect, alpha=alpha)
    notes: list[str] = []
    srm = srm_p < srm_threshold
    if srm:
        decision = "keep_running"
        notes.append("Sample ratio mismatch: assignment or logging is broken; no verdict.")
    else:
        significant = [r for r in treatments if (r.always_valid_p_adjusted or 1.0) < alpha]
        if significant:
            better = [r for r in significant if r.rate > base.conversions / max(base.exposures, 1)]
            if better:
                decision = "winner:" + max(better, key=lambda r: r.rate).key
            else:
                decision = f"winner:{control}"
        elif planned is not None and all(r.exposures >= planned for r in results):
            decision = "no_difference"
        else:
            decision = "keep_running"
    return Analysis(
        arms=results,
        srm_chi2=chi2,
        srm_p_value=srm_p,
        srm=srm,
        decision=decision,
        sample_size_per_arm=planned,
        notes=notes,
    )
