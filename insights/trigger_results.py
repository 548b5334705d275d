"""Triggers against their control groups: each firing decided as contacted (`fired`) or
control (`control`, logged and not contacted) is followed for the trigger's attribution
window (PZ_CONVERSION_DAYS); conversion and revenue per firing are compared with
the uplift statistics (relative lift, 95% interval, sample-ratio check against the
trigger's control share, always-valid verdict). A firing is the unit: a visitor fired
twice (after the frequency cap) counts twice."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, FloatField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from core import clock
from insights.statistics import GroupTotals, Uplift, uplift
from tracking import analytics
from triggers.models import Firing, Trigger

LOOKBACK_DAYS = 90


def _totals(rows: list[tuple[bool, float]]) -> GroupTotals:
    converters = sum(1 for converted, _ in rows if converted)
    return GroupTotals(
        visitors=len(rows),
        converters=converters,
        orders=converters,
        revenue=sum(r for _, r in rows),
        revenue_sq=sum(r * r for _, r in rows),
        orders_sq=converters,
        revenue_orders=sum(r for c, r in rows if c),
    )


def trigger_results(trigger: Trigger, *, now: datetime | None = None) -> Uplift:
    """Contacted vs control firings of the last LOOKBACK_DAYS whose window has started."""
    now = now or clock.now()
    purchases = analytics.conversions(
        visitor_id=OuterRef("visitor_id"),
        since=OuterRef("decided_at"),
        window=analytics.conversion_window(),
    )
    revenue = (
        purchases.values("visitor_id")
        .annotate(total=Sum(analytics.order_revenue()))
        .values("total")
    )
    rows = (
        Firing.objects.filter(
            trigger=trigger,
            status__in=(Firing.Status.FIRED, Firing.Status.CONTROL),
            decided_at__gte=now - timedelta(days=LOOKBACK_DAYS),
        )
        .annotate(
            converted=Exists(purchases),
            revenue=Coalesce(Subquery(revenue[:1], output_field=FloatField()), 0.0),
        )
        .values_list("status", "converted", "revenue")
    )
    groups: dict[str, list[tuple[bool, float]]] = {"fired": [], "control": []}
    for status, converted, amount in rows:
        groups[status].append((bool(converted), float(amount or 0.0)))
    return uplift(
        _totals(groups["fired"]),
        _totals(groups["control"]),
        holdout_share=trigger.control_share,
    )


def results_by_trigger(triggers: list[Trigger]) -> dict[int, Uplift]:
    return {trigger.pk: trigger_results(trigger) for trigger in triggers}


def as_rows(result: Uplift) -> dict[str, Any]:
    """What the screens show: per group firings, conversion, revenue per firing, lift."""
    return {
        "contacted": result.personalized,
        "control": result.holdout,
        "conversion_lift": result.lift["conversion_rate"],
        "revenue_lift": result.lift["revenue_per_visitor"],
        "srm": result.srm,
        "decision": result.decision,
    }
