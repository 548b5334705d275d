"""What personalization earns, from aggregate totals: pure functions over numbers, the
experiments' statistics (`experiments.statistics`) applied to the global holdout.

Each group (personalized, holdout) is summarized by per-visitor sums: visitors, converters,
orders, revenue and the squares and cross products the interval formulas need. Lifts are
relative (personalized / holdout - 1) with delta-method intervals on the log ratio; the
average order value is a ratio of two per-visitor means (revenue / orders), so its
variance comes from the delta method too. The verdict uses the always-valid test (mSPRT)
on the conversion rate, so a report looked at every day does not inflate false positives.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from experiments.statistics import (
    Estimate,
    lift_interval,
    mean_and_variance,
    mixing_variance,
    mixture_likelihood_ratio,
    sample_ratio_mismatch,
    sample_size_per_arm,
)

METRICS = ("conversion_rate", "revenue_per_visitor", "average_order_value")
SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class GroupTotals:
    """Per-visitor sums of one group over a period."""

    visitors: int
    converters: int = 0
    orders: int = 0
    revenue: float = 0.0
    revenue_sq: float = 0.0  # sum over visitors of (their revenue)^2
    orders_sq: float = 0.0  # sum over visitors of (their orders)^2
    revenue_orders: float = 0.0  # sum over visitors of revenue * orders

    def __add__(self, other: "GroupTotals") -> "GroupTotals":
        return GroupTotals(
            *(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__)
        )

    @property
    def conversion_rate(self) -> float:
        return self.converters / self.visitors if self.visitors else 0.0

    @property
    def revenue_per_visitor(self) -> float:
        return self.revenue / self.visitors if self.visitors else 0.0

    @property
    def average_order_value(self) -> float:
        return self.revenue / self.orders if self.orders else 0.0


def rate_estimate(group: GroupTotals) -> Estimate:
    p, n = group.conversion_rate, group.visitors
    return Estimate(p, p * (1 - p) / n if n else 0.0)


def revenue_estimate(group: GroupTotals) -> Estimate:
    mean, variance = mean_and_variance(group.visitors, group.revenue, group.revenue_sq)
    return Estimate(mean, variance / group.visitors if group.visitors else 0.0)


def order_value_estimate(group: GroupTotals) -> Estimate:
    """Revenue per order as the ratio of per-visitor means, delta-method variance (orders
    of one visitor are not independent, so the order is not the unit)."""
    n = group.visitors
    if n < 2 or group.orders == 0:
        return Estimate(group.average_order_value, 0.0)
    mean_r, var_r = mean_and_variance(n, group.revenue, group.revenue_sq)
    mean_o, var_o = mean_and_variance(n, group.orders, group.orders_sq)
    cov = (group.revenue_orders - n * mean_r * mean_o) / (n - 1)
    ratio = mean_r / mean_o
    variance = (var_r - 2 * ratio * cov + ratio * ratio * var_o) / (mean_o * mean_o) / n
    return Estimate(ratio, max(variance, 0.0))


ESTIMATORS = {
    "conversion_rate": rate_estimate,
    "revenue_per_visitor": revenue_estimate,
    "average_order_value": order_value_estimate,
}


@dataclass(frozen=True)
class Lift:
    estimate: float | None  # relative: personalized / holdout - 1
    low: float | None
    high: float | None

    def as_dict(self) -> dict[str, object]:
        return {"estimate": self.estimate, "ci95": [self.low, self.high]}


@dataclass(frozen=True)
class Uplift:
    personalized: GroupTotals
    holdout: GroupTotals
    lift: dict[str, Lift]
    srm_p_value: float
    srm: bool
    always_valid_p: float
    decision: str  # keep_running | personalization_wins | holdout_wins | no_difference
    needed_per_group: int | None  # holdout visitors for the planned test (fixed horizon)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def relative_lift(personalized: Estimate, holdout: Estimate, alpha: float = 0.05) -> Lift:
    if holdout.mean <= 0:
        return Lift(None, None, None)
    estimate, low, high = lift_interval(holdout, personalized, alpha)
    return Lift(estimate, _finite(low), _finite(high))


def uplift(
    personalized: GroupTotals,
    holdout: GroupTotals,
    *,
    holdout_share: float,
    alpha: float = 0.05,
    minimum_detectable_effect: float = 0.1,
) -> Uplift:
    """The report's numbers and verdict: a sample-ratio mismatch (the groups' sizes against
    the configured share) blocks any verdict; the always-valid test on the conversion rate
    decides who wins; `no_difference` once the holdout has the planned sample without one."""
    lifts = {
        name: relative_lift(ESTIMATORS[name](personalized), ESTIMATORS[name](holdout), alpha)
        for name in METRICS
    }
    srm_p = 1.0
    if 0 < holdout_share < 1:
        srm_p = sample_ratio_mismatch(
            [personalized.visitors, holdout.visitors], [1 - holdout_share, holdout_share]
        )[1]
    srm = srm_p < SRM_THRESHOLD
    control, treatment = rate_estimate(holdout), rate_estimate(personalized)
    effect = treatment.mean - control.mean
    variance = control.variance + treatment.variance
    tau_squared = mixing_variance(control.mean, minimum_detectable_effect)
    ratio = mixture_likelihood_ratio(effect, variance, tau_squared)
    always_valid = min(1.0, 1.0 / ratio) if ratio > 0 else 1.0
    baseline = control.mean
    needed = None
    if 0 < baseline < 1 and baseline * (1 + minimum_detectable_effect) < 1:
        needed = sample_size_per_arm(baseline, minimum_detectable_effect, alpha=alpha)
    if srm or not (personalized.visitors and holdout.visitors):
        decision = "keep_running"
    elif always_valid < alpha:
        decision = "personalization_wins" if effect > 0 else "holdout_wins"
    elif needed is not None and min(personalized.visitors, holdout.visitors) >= needed:
        decision = "no_difference"
    else:
        decision = "keep_running"
    return Uplift(
        personalized=personalized,
        holdout=holdout,
        lift=lifts,
        srm_p_value=srm_p,
        srm=srm,
        always_valid_p=always_valid,
        decision=decision,
        needed_per_group=needed,
    )


def cumulative_totals(
    visits: Iterable[tuple[str, str, date, int, float]],
) -> list[tuple[date, dict[str, GroupTotals]]]:
    """Each day's totals per group of every visitor seen up to that day (cumulative), from
    (group, visitor, day, orders, revenue) rows: the series a lift-over-time chart plots,
    whose last entry is the whole period."""
    by_day: dict[date, list[tuple[str, str, int, float]]] = {}
    for group, visitor, day, orders, revenue in visits:
        by_day.setdefault(day, []).append((group, visitor, orders, revenue))
    seen: dict[str, tuple[int, float]] = {}
    sums: dict[str, list[float]] = {}
    series = []
    for day in sorted(by_day):
        for group, visitor, orders, revenue in by_day[day]:
            row = sums.setdefault(group, [0.0] * 7)
            before = seen.get(visitor)
            o0, r0 = before if before else (0, 0.0)
            o1, r1 = o0 + orders, r0 + revenue
            seen[visitor] = (o1, r1)
            row[0] += before is None
            row[1] += (o1 > 0) - (o0 > 0)
            row[2] += orders
            row[3] += revenue
            row[4] += r1 * r1 - r0 * r0
            row[5] += o1 * o1 - o0 * o0
            row[6] += r1 * o1 - r0 * o0
        series.append(
            (
                day,
                {
                    group: GroupTotals(
                        int(row[0]), int(row[1]), int(row[2]), row[3], row[4], row[5], row[6]
                    )
                    for group, row in sums.items()
                },
            )
        )
    return series
