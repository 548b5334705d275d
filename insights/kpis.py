"""Per-segment KPIs: daily aggregates written in SQL by the periodic task (one statement
per day over every segment), read by the API and the segment screen without touching
events. A day's row covers the visitors who were members at any time that day.

Rates over a period are weighted by members per day (conversion = member-days with a
purchase ÷ member-days); revenue per visitor divides the period's revenue by the distinct
visitors who were members in it. Events of stitched anonymous ids count only once they are
the canonical visitor's (memberships are by canonical id)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from core import clock
from core.permissions import visible_count
from insights.models import SegmentKpiDay
from segments.models import Segment, SegmentMembership
from tracking import analytics
from tracking.models import Event

REFRESH_DAYS = 2  # today and yesterday: the periodic task keeps both current
BACKFILL_DAYS = 90


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _day_sql(day: date) -> tuple[str, list[Any]]:
    start, end = _day_bounds(day)
    activity = (
        Event.objects.filter(
            timestamp__gte=start, timestamp__lt=end, type__in=("purchase", "impression", "click")
        )
        .values("visitor_id")
        .annotate(
            orders=Count("id", filter=Q(type="purchase")),
            revenue=Sum(analytics.order_revenue(), filter=Q(type="purchase")),
            impressions=Count("id", filter=Q(type="impression")),
            clicks=Count("id", filter=Q(type="click")),
        )
        .order_by()
    )
    members = (
        SegmentMembership.objects.filter(entered_at__lt=end)
        .filter(Q(left_at__isnull=True) | Q(left_at__gte=start))
        .values("segment_id", "visitor_id")
        .distinct()
        .order_by()
    )
    activity_sql, activity_params = activity.query.sql_with_params()
    members_sql, members_params = members.query.sql_with_params()
    sql = f"""
        SELECT m.segment_id, COUNT(*) AS members,
               SUM(CASE WHEN a.orders > 0 THEN 1 ELSE 0 END) AS converters,
               COALESCE(SUM(a.orders), 0), COALESCE(SUM(a.revenue), 0),
               COALESCE(SUM(a.impressions), 0), COALESCE(SUM(a.clicks), 0)
        FROM ({members_sql}) m
        LEFT JOIN ({activity_sql}) a ON a.visitor_id = m.visitor_id
        GROUP BY m.segment_id
    """  # noqa: S608 - both parts are compiled querysets; values are parameters
    return sql, [*members_params, *activity_params]


def refresh_segment_kpis(*, days: int = REFRESH_DAYS, now: datetime | None = None) -> int:
    """Recompute the last `days` days of every segment's KPI rows; returns rows written."""
    now = now or clock.now()
    today = now.astimezone(UTC).date()
    written = 0
    for offset in range(days):
        day = today - timedelta(days=offset)
        sql, params = _day_sql(day)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        with transaction.atomic():
            SegmentKpiDay.objects.filter(day=day).delete()
            SegmentKpiDay.objects.bulk_create(
                SegmentKpiDay(
                    segment_id=segment_id,
                    day=day,
                    members=int(members),
                    converters=int(converters or 0),
                    orders=int(orders),
                    revenue=float(revenue),
                    impressions=int(impressions),
                    clicks=int(clicks),
                    computed_at=now,
                )
                for segment_id, members, converters, orders, revenue, impressions, clicks in rows
            )
        written += len(rows)
    return written


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def segment_kpis(segment: Segment, *, days: int, user: Any, now: datetime | None = None) -> dict:
    """The API's KPI answer for a segment over the last `days` days, from stored rows;
    counts of visitors below PZ_MIN_SEGMENT_SIZE suppressed for roles without
    visitor-data permission (with every figure that would give them back)."""
    now = now or clock.now()
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    rows = list(
        SegmentKpiDay.objects.filter(segment=segment, day__gte=first, day__lte=today).order_by(
            "day"
        )
    )
    start, _ = _day_bounds(first)
    _, end = _day_bounds(today)
    visitors = (
        SegmentMembership.objects.filter(segment=segment, entered_at__lt=end)
        .filter(Q(left_at__isnull=True) | Q(left_at__gte=start))
        .values("visitor_id")
        .distinct()
        .count()
    )
    member_days = sum(r.members for r in rows)
    revenue = sum(r.revenue for r in rows)
    shown, suppressed = visible_count(visitors, user)
    body: dict[str, Any] = {
        "segment": segment.key,
        "days": days,
        "visitors": shown,
        "conversion_rate": _ratio(sum(r.converters for r in rows), member_days),
        "average_order_value": _ratio(revenue, sum(r.orders for r in rows)),
        "revenue_per_visitor": _ratio(revenue, visitors),
        "placement_ctr": _ratio(sum(r.clicks for r in rows), sum(r.impressions for r in rows)),
        "daily": [],
        "suppressed": suppressed,
        "computed_at": max((r.computed_at for r in rows), default=None),
    }
    for row in rows:
        members, hidden = visible_count(row.members, user)
        body["daily"].append(
            {
                "date": row.day.isoformat(),
                "members": members,
                "conversion_rate": None if hidden else _ratio(row.converters, row.members),
                "average_order_value": None if hidden else _ratio(row.revenue, row.orders),
                "revenue_per_visitor": None if hidden else _ratio(row.revenue, row.members),
                "placement_ctr": None if hidden else _ratio(row.clicks, row.impressions),
                "suppressed": hidden,
            }
        )
    if suppressed:
        # A small group's rates would tell about one person: hide them with the count.
        body.update(conversion_rate=None, revenue_per_visitor=None, average_order_value=None)
    return body
