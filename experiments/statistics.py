"""Experiment statistics from aggregate counts: pure functions over numbers (scipy for the
distributions), so they are testable against known answers and cheap to recompute.

Decisions use an always-valid test (mSPRT, Johari et al. 2017) so that looking at results
after every batch does not inflate false positives; fixed-horizon p-values and Bayesian
summaries are reported beside it for reading, not for stopping. Guardrail metrics get the
same always-valid test, read one way: does an arm make a bad thing more likely?

Adaptive experiments change their weights between allocation periods while every visitor
keeps the arm of their first exposure. Pooling such periods is biased (an arm favoured
later has more visitors from later, shorter-observed or otherwise different periods), so
their estimates are post-stratified by period: each arm's mean is the average of its
per-period means weighted by the period's share of all exposures, and comparisons use
the periods where both arms were shown (`period_weighted`).
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class ArmCounts:
    key: str
    exposures: int
    conversions: int
    revenue_sum: float = 0.0
    revenue_sumsq: float = 0.0  # sum over visitors of (revenue per visitor)^2


@dataclass(frozen=True)
class Period:
    """Exposures first made under one allocation of weights (adaptive experiments)."""

    weights: Mapping[str, float]
    counts: Sequence[ArmCounts]

    def size(self) -> int:
        return sum(c.exposures for c in self.counts)

    def arm(self, key: str) -> ArmCounts:
        return next((c for c in self.counts if c.key == key), ArmCounts(key, 0, 0))


@dataclass(frozen=True)
class Estimate:
    """A mean and the variance of its estimate."""

    mean: float
    variance: float

    @property
    def se(self) -> float:
        return math.sqrt(max(self.variance, 0.0))

    def interval(self, alpha: float = 0.05) -> tuple[float, float]:
        margin = stats.norm.ppf(1 - alpha / 2) * self.se
        return self.mean - margin, self.mean + margin


Metric = Literal["rate", "revenue"]


def _cell(counts: ArmCounts, metric: Metric) -> tuple[int, float, float]:
    """(n, mean, variance of one visitor's value) of a metric in one arm."""
    n = counts.exposures
    if metric == "rate":
        p = counts.conversions / n if n else 0.0
        return n, p, p * (1 - p)
    mean, variance = mean_and_variance(n, counts.revenue_sum, counts.revenue_sumsq)
    return n, mean, variance


def pooled_estimate(counts: ArmCounts, metric: Metric = "rate") -> Estimate:
    n, mean, variance = _cell(counts, metric)
    return Estimate(mean, variance / n if n else 0.0)


def period_weighted_estimate(
    periods: Sequence[Period], key: str, metric: Metric = "rate", *, among: Sequence[str] = ()
) -> Estimate:
    """Post-stratified mean of arm `key`: its per-period means weighted by each period's
    share of all exposures, over the periods where it (and every arm in `among`) was
    shown; the variance is the weighted sum of the per-period variances."""
    used = [
        (period.size(), _cell(period.arm(key), metric))
        for period in periods
        if period.arm(key).exposures and all(period.arm(other).exposures for other in among)
    ]
    total = sum(size for size, _ in used)
    if not total:
        return Estimate(0.0, 0.0)
    mean = sum(size / total * cell_mean for size, (_, cell_mean, _) in used)
    variance = sum((size / total) ** 2 * var / n for size, (n, _, var) in used)
    return Estimate(mean, variance)


def paired_estimates(
    counts: Sequence[ArmCounts],
    periods: Sequence[Period] | None,
    control: str,
    treatment: str,
    metric: Metric = "rate",
) -> tuple[Estimate, Estimate]:
    """Control and treatment estimates to compare: pooled with one allocation period,
    post-stratified over the periods both were shown in with several. Two empty
    estimates (nothing to compare, no evidence) while either arm has no exposures."""
    if periods is not None and len(periods) > 1:
        return (
            period_weighted_estimate(periods, control, metric, among=(treatment,)),
            period_weighted_estimate(periods, treatment, metric, among=(control,)),
        )
    by_key = {c.key: c for c in counts}
    if not (by_key[control].exposures and by_key[treatment].exposures):
        return Estimate(0.0, 0.0), Estimate(0.0, 0.0)
    return pooled_estimate(by_key[control], metric), pooled_estimate(by_key[treatment], metric)


def normal_p_value(control: Estimate, treatment: Estimate) -> float:
    """Two-sided Wald test of treatment - control."""
    se = math.sqrt(max(control.variance + treatment.variance, 0.0))
    if se == 0:
        return 1.0
    return float(2 * stats.norm.sf(abs(treatment.mean - control.mean) / se))


def normal_comparison(control: Estimate, treatment: Estimate) -> tuple[float, float]:
    """Normal posteriors: P(treatment beats control) and the expected loss of choosing the
    treatment, E[max(control - treatment, 0)] (closed form)."""
    gap = control.mean - treatment.mean
    sd = math.sqrt(max(control.variance + treatment.variance, 0.0))
    if sd == 0:
        return (0.5 if gap == 0 else float(gap < 0)), max(gap, 0.0)
    z = gap / sd
    return float(stats.norm.sf(z)), float(sd * stats.norm.pdf(z) + gap * stats.norm.cdf(z))


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


def lift_interval(
    control: Estimate, treatment: Estimate, alpha: float = 0.05
) -> tuple[float, float, float]:
    """Relative lift treatment / control - 1 with a delta-method interval on the log ratio;
    unbounded while either mean is 0."""
    if control.mean <= 0 or treatment.mean <= 0:
        lift = treatment.mean / control.mean - 1 if control.mean > 0 else 0.0
        return lift, -math.inf, math.inf
    log_ratio = math.log(treatment.mean / control.mean)
    se = math.sqrt(treatment.variance / treatment.mean**2 + control.variance / control.mean**2)
    z = stats.norm.ppf(1 - alpha / 2)
    return (
        treatment.mean / control.mean - 1,
        math.exp(log_ratio - z * se) - 1,
        math.exp(log_ratio + z * se) - 1,
    )


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


def mixture_likelihood_ratio(effect: float, variance: float, tau_squared: float) -> float:
    """The mSPRT statistic of an estimated effect with the given variance."""
    if variance <= 0:
        return 1.0
    log_ratio = 0.5 * math.log(variance / (variance + tau_squared)) + (
        tau_squared * effect * effect / (2 * variance * (variance + tau_squared))
    )
    return math.exp(min(log_ratio, 700.0))


def always_valid_interval(
    effect: float, variance: float, tau_squared: float, alpha: float = 0.05
) -> tuple[float, float]:
    """The mSPRT's confidence sequence: the effects it would not reject at level alpha now
    (excludes 0 exactly when the likelihood ratio exceeds 1 / alpha)."""
    if variance <= 0:
        return -math.inf, math.inf
    radius = math.sqrt(
        2
        * variance
        * (variance + tau_squared)
        / tau_squared
        * (math.log(1 / alpha) + 0.5 * math.log((variance + tau_squared) / variance))
    )
    return effect - radius, effect + radius


def mixing_variance(baseline_rate: float, minimum_detectable_effect: float) -> float:
    """tau² of the mSPRT mixture: the squared absolute effect the test is tuned to find."""
    return max((minimum_detectable_effect * max(baseline_rate, 0.01)) ** 2, 1e-8)


def always_valid_p(previous: float, likelihood_ratio: float) -> float:
    """p_n = min(p_{n-1}, 1 / Λ_n): non-increasing, valid at any stopping time."""
    return min(previous, 1.0 / likelihood_ratio if likelihood_ratio > 0 else 1.0, 1.0)


def sample_ratio_mismatch(observed: Sequence[int], weights: Sequence[float]) -> tuple[float, float]:
    """Chi-square goodness of fit of exposures against the configured weights: (chi², p)."""
    return sample_ratio_mismatch_by_period([observed], [weights])


def sample_ratio_mismatch_by_period(
    observed: Sequence[Sequence[int]], weights: Sequence[Sequence[float]]
) -> tuple[float, float]:
    """Chi-square goodness of fit of each period's exposures against that period's
    weights, summed over the periods (degrees of freedom add up): (chi², p)."""
    chi2, degrees = 0.0, 0
    for counts, shares in zip(observed, weights, strict=True):
        total, weight_sum = sum(counts), sum(shares)
        if total == 0 or len(counts) < 2 or weight_sum <= 0:
            continue
        expected = [total * w / weight_sum for w in shares]
        chi2 += sum((o - e) ** 2 / e for o, e in zip(counts, expected, strict=True) if e > 0)
        degrees += len(counts) - 1
    if degrees == 0:
        return 0.0, 1.0
    return chi2, float(stats.chi2.sf(chi2, degrees))


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
    return int(math.ceil(numerator / (p2 - p1) ** 2))


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


POOLED = "pooled"
PERIOD_WEIGHTED = "period_weighted"


@dataclass
class Analysis:
    arms: list[ArmResult]
    srm_chi2: float
    srm_p_value: float
    srm: bool
    decision: str
    sample_size_per_arm: int | None
    notes: list[str] = field(default_factory=list)
    estimator: str = POOLED


def _stratified(periods: Sequence[Period] | None) -> bool:
    return periods is not None and len(periods) > 1


def _arm_summary(
    arm: ArmCounts, periods: Sequence[Period] | None, alpha: float
) -> tuple[float, float, float, float, float, float]:
    """(rate, its interval, revenue per visitor, its interval) of one arm."""
    if _stratified(periods):
        assert periods is not None  # noqa: S101 - narrowed for the type checker
        weighted_rate = period_weighted_estimate(periods, arm.key, "rate")
        revenue = period_weighted_estimate(periods, arm.key, "revenue")
        rate_low, rate_high = weighted_rate.interval(alpha)
        revenue_low, revenue_high = revenue.interval(alpha) if revenue.se else (-math.inf, math.inf)
        return (
            weighted_rate.mean,
            max(0.0, rate_low),
            min(1.0, rate_high),
            revenue.mean,
            revenue_low,
            revenue_high,
        )
    low, high = wilson_interval(arm.conversions, arm.exposures, alpha)
    mean, variance = mean_and_variance(arm.exposures, arm.revenue_sum, arm.revenue_sumsq)
    margin = (
        stats.t.ppf(1 - alpha / 2, arm.exposures - 1) * math.sqrt(variance / arm.exposures)
        if arm.exposures > 1
        else math.inf
    )
    rate = arm.conversions / arm.exposures if arm.exposures else 0.0
    return rate, low, high, mean, mean - margin, mean + margin


def analyse(
    counts: Sequence[ArmCounts],
    *,
    control: str,
    weights: Sequence[float],
    previous_always_valid: dict[str, float] | None = None,
    alpha: float = 0.05,
    minimum_detectable_effect: float = 0.1,
    srm_threshold: float = 0.001,
    periods: Sequence[Period] | None = None,
) -> Analysis:
    """Everything the report shows, and the decision: `winner:<arm>` when an arm differs
    from control under the always-valid, Holm-adjusted test (the better side wins),
    `no_difference` once every arm has the planned sample without a significant
    difference, else `keep_running`. A sample-ratio mismatch blocks any verdict.

    `periods` (an adaptive experiment's allocation periods, each with its weights) switch
    the estimates to the period-weighted estimator and the SRM check to one per period;
    with one period or none the pooled counts are analysed as a fixed-weight test."""
    previous_always_valid = previous_always_valid or {}
    stratified = _stratified(periods)
    by_key = {c.key: c for c in counts}
    results: list[ArmResult] = []
    for arm in counts:
        rate, rate_low, rate_high, revenue, revenue_low, revenue_high = _arm_summary(
            arm, periods, alpha
        )
        results.append(
            ArmResult(
                key=arm.key,
                exposures=arm.exposures,
                conversions=arm.conversions,
                rate=rate,
                rate_low=rate_low,
                rate_high=rate_high,
                revenue_per_visitor=revenue,
                revenue_low=revenue_low,
                revenue_high=revenue_high,
                is_control=arm.key == control,
            )
        )
    baseline_rate = next(r.rate for r in results if r.is_control)
    tau_squared = mixing_variance(baseline_rate, minimum_detectable_effect)
    base = by_key[control]
    for result in results:
        if result.is_control:
            continue
        arm = by_key[result.key]
        c_rate, t_rate = paired_estimates(counts, periods, control, arm.key, "rate")
        result.lift, result.lift_low, result.lift_high = lift_interval(c_rate, t_rate, alpha)
        result.likelihood_ratio = mixture_likelihood_ratio(
            t_rate.mean - c_rate.mean, c_rate.variance + t_rate.variance, tau_squared
        )
        if stratified:
            c_revenue, t_revenue = paired_estimates(counts, periods, control, arm.key, "revenue")
            result.p_value = normal_p_value(c_rate, t_rate)
            result.revenue_p_value = normal_p_value(c_revenue, t_revenue)
            result.chance_to_beat_control, result.expected_loss = normal_comparison(c_rate, t_rate)
        else:
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
        result.always_valid_p = always_valid_p(
            previous_always_valid.get(arm.key, 1.0), result.likelihood_ratio
        )

    treatments = [r for r in results if not r.is_control]
    for adjusted, treated in zip(
        holm([r.p_value or 1.0 for r in treatments]), treatments, strict=True
    ):
        treated.p_value_adjusted = adjusted
    for adjusted, treated in zip(
        holm([r.always_valid_p or 1.0 for r in treatments]), treatments, strict=True
    ):
        treated.always_valid_p_adjusted = adjusted

    if stratified:
        assert periods is not None  # noqa: S101 - narrowed for the type checker
        chi2, srm_p = sample_ratio_mismatch_by_period(
            [[period.arm(c.key).exposures for c in counts] for period in periods],
            [[period.weights.get(c.key, 0.0) for c in counts] for period in periods],
        )
    else:
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
            better = [r for r in significant if r.rate > baseline_rate]
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
        estimator=PERIOD_WEIGHTED if stratified else POOLED,
    )


Harm = Literal["increase", "decrease"]


@dataclass
class GuardrailArm:
    key: str
    exposures: int
    visitors: int  # exposed visitors with the guardrail event after their first exposure
    rate: float
    rate_low: float
    rate_high: float
    is_control: bool = False
    difference: float | None = None  # rate minus the control's, in absolute points
    difference_low: float | None = None  # always-valid interval of the difference
    difference_high: float | None = None
    always_valid_p: float | None = None
    harmed: bool = False


@dataclass
class GuardrailResult:
    event: str
    harm: Harm
    arms: list[GuardrailArm]

    @property
    def harmed_arms(self) -> list[str]:
        return [arm.key for arm in self.arms if arm.harmed]


def analyse_guardrail(
    event: str,
    counts: Sequence[ArmCounts],
    *,
    control: str,
    harm: Harm,
    periods: Sequence[Period] | None = None,
    previous_always_valid: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    minimum_detectable_effect: float = 0.1,
) -> GuardrailResult:
    """A guardrail (counts' `conversions` = visitors with the event): each arm's rate and
    its difference from the control with the primary metric's always-valid test (mSPRT,
    p carried across looks, the same estimator). An arm harms the guardrail when that
    test rejects "no difference" and the rate moved the harmful way. No multiplicity
    adjustment: a guardrail should rather warn once too often."""
    previous = previous_always_valid or {}
    rows: list[GuardrailArm] = []
    for arm in counts:
        rate, rate_low, rate_high, *_ = _arm_summary(arm, periods, alpha)
        rows.append(
            GuardrailArm(
                key=arm.key,
                exposures=arm.exposures,
                visitors=arm.conversions,
                rate=rate,
                rate_low=rate_low,
                rate_high=rate_high,
                is_control=arm.key == control,
            )
        )
    baseline = next(row.rate for row in rows if row.is_control)
    tau_squared = mixing_variance(baseline, minimum_detectable_effect)
    for row in rows:
        if row.is_control:
            continue
        c_rate, t_rate = paired_estimates(counts, periods, control, row.key, "rate")
        effect, variance = t_rate.mean - c_rate.mean, c_rate.variance + t_rate.variance
        row.difference = effect
        row.difference_low, row.difference_high = always_valid_interval(
            effect, variance, tau_squared, alpha
        )
        row.always_valid_p = always_valid_p(
            previous.get(row.key, 1.0), mixture_likelihood_ratio(effect, variance, tau_squared)
        )
        worse = effect > 0 if harm == "increase" else effect < 0
        row.harmed = row.always_valid_p < alpha and worse
    return GuardrailResult(event=event, harm=harm, arms=rows)


@dataclass(frozen=True)
class CovariateCounts:
    """One arm's sums of a metric y and a pre-experiment covariate x (CUPED): per visitor,
    y is the outcome after first exposure and x the same measure before it."""

    key: str
    n: int
    y_sum: float
    y_sumsq: float
    x_sum: float = 0.0
    x_sumsq: float = 0.0
    xy_sum: float = 0.0


@dataclass(frozen=True)
class Cuped:
    theta: float
    estimates: dict[str, Estimate]  # adjusted mean of y per arm
    variance_reduction: float  # 1 - adjusted / raw variance of one visitor's y (pooled)


def cuped(cells: Sequence[CovariateCounts]) -> Cuped:
    """CUPED (Deng et al. 2013): y - θ(x - mean x) with θ = cov(x, y) / var(x) pooled over
    arms. x is fixed before exposure, so the adjustment removes no effect and keeps the
    test's false-positive rate; its variance is var(y)(1 - ρ²). Without variance in x
    (no pre-period data) θ = 0 and the estimates are the plain means."""
    n = sum(c.n for c in cells)
    if n < 2:
        return Cuped(0.0, {c.key: Estimate(0.0, 0.0) for c in cells}, 0.0)
    x_mean = sum(c.x_sum for c in cells) / n
    y_mean = sum(c.y_sum for c in cells) / n
    var_x = (sum(c.x_sumsq for c in cells) - n * x_mean * x_mean) / (n - 1)
    cov = (sum(c.xy_sum for c in cells) - n * x_mean * y_mean) / (n - 1)
    theta = cov / var_x if var_x > 1e-12 else 0.0
    estimates = {}
    adjusted_total = 0.0
    for cell in cells:
        if cell.n < 2:
            estimates[cell.key] = Estimate(cell.y_sum / cell.n if cell.n else 0.0, 0.0)
            continue
        cy, vy = mean_and_variance(cell.n, cell.y_sum, cell.y_sumsq)
        cx, vx = mean_and_variance(cell.n, cell.x_sum, cell.x_sumsq)
        cxy = (cell.xy_sum - cell.n * cx * cy) / (cell.n - 1)
        per_visitor = max(vy - 2 * theta * cxy + theta * theta * vx, 0.0)
        adjusted_total += per_visitor * (cell.n - 1)
        estimates[cell.key] = Estimate(cy - theta * (cx - x_mean), per_visitor / cell.n)
    raw_within = sum(
        mean_and_variance(c.n, c.y_sum, c.y_sumsq)[1] * (c.n - 1) for c in cells if c.n > 1
    )
    reduction = 1 - adjusted_total / raw_within if raw_within > 0 else 0.0
    return Cuped(theta, estimates, max(reduction, 0.0))
