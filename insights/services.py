"""The reports' numbers: read the aggregates (selectors), run the statistics, shape the
answer the API, the admin screens and the dashboard share."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache

from core import clock
from core.charts import BandPoint
from core.holdout import Group
from insights import selectors
from insights.statistics import GroupTotals, Uplift, cumulative_totals, uplift

UPLIFT_CACHE_SECONDS = 5 * 60
MAX_DAYS = 365


def period(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `days` whole UTC days up to now (today included)."""
    now = now or clock.now()
    end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return end - timedelta(days=days), end


def _group(totals: GroupTotals) -> dict[str, Any]:
    return {
        "visitors": totals.visitors,
        "conversion_rate": totals.conversion_rate,
        "revenue_per_visitor": totals.revenue_per_visitor,
        "average_order_value": totals.average_order_value,
        "orders": totals.orders,
        "revenue": totals.revenue,
    }


def uplift_report(*, days: int = 30, now: datetime | None = None) -> dict[str, Any]:
    """Personalized vs holdout visitors over the last `days` days (the API's shape), with
    the cumulative daily series the chart plots. Aggregates only (no visitor in it), so it
    is cached for a few minutes in the shared cache."""
    start, end = period(days, now)
    key = f"insights:uplift:{days}:{end:%Y%m%d}:{settings.PZ_GLOBAL_HOLDOUT_SHARE}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    rows = selectors.visitor_days(start, end)
    groups = selectors.visitor_groups({row.visitor_id for row in rows})
    series = cumulative_totals(
        (groups[row.visitor_id], row.visitor_id, row.day, row.orders, row.revenue)
        for row in rows
        if row.visitor_id in groups
    )
    share = settings.PZ_GLOBAL_HOLDOUT_SHARE
    empty = GroupTotals(0)
    last = series[-1][1] if series else {}
    result = uplift(
        last.get(Group.PERSONALIZED, empty), last.get(Group.HOLDOUT, empty), holdout_share=share
    )
    daily = []
    for day, totals in series:
        point = uplift(
            totals.get(Group.PERSONALIZED, empty),
            totals.get(Group.HOLDOUT, empty),
            holdout_share=share,
        )
        daily.append(
            {
                "date": day.isoformat(),
                "personalized_visitors": point.personalized.visitors,
                "holdout_visitors": point.holdout.visitors,
                "conversion_rate": point.lift["conversion_rate"].as_dict(),
                "revenue_per_visitor": point.lift["revenue_per_visitor"].as_dict(),
            }
        )
    report = {
        **as_response(result, share),
        "days": days,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "attribution": "visitor",
        "daily": daily,
    }
    cache.set(key, report, UPLIFT_CACHE_SECONDS)
    return report


def as_response(result: Uplift, share: float) -> dict[str, Any]:
    return {
        "holdout_share": share,
        "personalized": _group(result.personalized),
        "holdout": _group(result.holdout),
        "lift": {name: lift.as_dict() for name, lift in result.lift.items()},
        "srm": {"p_value": result.srm_p_value, "mismatch": result.srm},
        "always_valid_p": result.always_valid_p,
        "decision": result.decision,
        "holdout_visitors_needed": result.needed_per_group,
    }


def lift_points(report: dict[str, Any], metric: str = "conversion_rate") -> list[BandPoint]:
    """The report's cumulative lift of `metric` per day, for a band chart."""
    return [
        BandPoint(
            row["date"][5:],
            row[metric]["estimate"],
            row[metric]["ci95"][0],
            row[metric]["ci95"][1],
        )
        for row in report["daily"]
    ]
