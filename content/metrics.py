"""Per-variant performance aggregated from tracked events into `VariantStats`.

Impressions and clicks carry `properties.placement` and `.variant`; a conversion
(`tracking.analytics`) is a viewer who bought within the conversion window after their
first impression of the variant.
Everything is counted by the database (grouped queries with correlated subqueries), so
the cost does not grow with a Python loop over events.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from content.models import VariantStats
from core import clock
from tracking import analytics
from tracking.models import Event

IMPRESSION, CLICK = "impression", "click"
MAX_PLACEMENT_KEY = VariantStats._meta.get_field("placement_key").max_length
MAX_VARIANT_KEY = VariantStats._meta.get_field("variant_key").max_length


@dataclass(frozen=True)
class StatsRefresh:
    variants: int
    computed_at: datetime


def _placement_events(event_type: str, *, since: datetime | None, now: datetime) -> QuerySet[Event]:
    """Events of one type in the window, with `placement_key` and `variant_key` as text."""
    events = Event.objects.filter(type=event_type, timestamp__lte=now)
    if since is not None:
        events = events.filter(timestamp__gte=since)
    return (
        events.annotate(
            placement_key=KT("properties__placement"), variant_key=KT("properties__variant")
        )
        .filter(placement_key__isnull=False, variant_key__isnull=False)
        .order_by()
    )


def _first_impressions(*, since: datetime | None, now: datetime) -> QuerySet[Event]:
    """Each viewer's first impression of each variant in the window (ties broken by id),
    with `converted` and `purchase_revenue` of their purchases in the conversion window."""
    impressions = _placement_events(IMPRESSION, since=since, now=now)
    earlier = impressions.filter(
        visitor_id=OuterRef("visitor_id"),
        placement_key=OuterRef("placement_key"),
        variant_key=OuterRef("variant_key"),
    ).filter(
        Q(timestamp__lt=OuterRef("timestamp"))
        | Q(timestamp=OuterRef("timestamp"), pk__lt=OuterRef("pk"))
    )
    purchases = analytics.conversions(
        visitor_id=OuterRef("visitor_id"),
        since=OuterRef("timestamp"),
        window=analytics.conversion_window(),
    ).filter(timestamp__lte=now)
    revenue = (
        purchases.values("visitor_id")
        .annotate(total=Sum(analytics.order_revenue()))
        .values("total")
    )
    return impressions.filter(~Exists(earlier)).annotate(
        converted=Exists(purchases),
        purchase_revenue=Subquery(revenue, output_field=FloatField()),
    )


def variant_performance(
    *, since: datetime | None = None, now: datetime | None = None
) -> dict[tuple[str, str], dict[str, float | int]]:
    """Figures per (placement key, variant key): impressions, viewers, clicks,
    conversions and revenue, from events in [since, now]."""
    now = now or clock.now()
    rows: dict[tuple[str, str], dict[str, float | int]] = {}

    def merge(queryset: QuerySet, fields: tuple[str, ...]) -> None:
        for row in queryset:
            figures = rows.setdefault(
                (row["placement_key"], row["variant_key"]),
                {"impressions": 0, "viewers": 0, "clicks": 0, "conversions": 0, "revenue": 0.0},
            )
            figures.update({name: row[name] or 0 for name in fields})

    group = ("placement_key", "variant_key")
    merge(
        _placement_events(IMPRESSION, since=since, now=now)
        .values(*group)
        .annotate(impressions=Count("pk"), viewers=Count("visitor_id", distinct=True)),
        ("impressions", "viewers"),
    )
    merge(
        _placement_events(CLICK, since=since, now=now).values(*group).annotate(clicks=Count("pk")),
        ("clicks",),
    )
    merge(
        _first_impressions(since=since, now=now)
        .values(*group)
        .annotate(
            conversions=Count("pk", filter=Q(converted=True)),
            revenue=Coalesce(Sum("purchase_revenue"), 0.0, output_field=FloatField()),
        ),
        ("conversions", "revenue"),
    )
    return rows


@transaction.atomic
def refresh_variant_stats(
    *, since: datetime | None = None, now: datetime | None = None
) -> StatsRefresh:
    """Recompute `VariantStats` from events in [since, now] (all history when `since` is
    None); variants without events in the window lose their row."""
    now = now or clock.now()
    figures = variant_performance(since=since, now=now)
    stats = [
        VariantStats(
            placement_key=placement_key,
            variant_key=variant_key,
            impressions=row["impressions"],
            viewers=row["viewers"],
            clicks=row["clicks"],
            conversions=row["conversions"],
            revenue=round(float(row["revenue"]), 2),
            computed_at=now,
        )
        for (placement_key, variant_key), row in figures.items()
        # Keys longer than the model allows cannot name a real placement or variant.
        if len(placement_key) <= MAX_PLACEMENT_KEY and len(variant_key) <= MAX_VARIANT_KEY
    ]
    VariantStats.objects.bulk_create(
        stats,
        update_conflicts=True,
        unique_fields=["placement_key", "variant_key"],
        update_fields=[
            "impressions",
            "viewers",
            "clicks",
            "conversions",
            "revenue",
            "computed_at",
        ],
    )
    kept = {(row.placement_key, row.variant_key) for row in stats}
    stale = [
        pk
        for pk, placement_key, variant_key in VariantStats.objects.values_list(
            "pk", "placement_key", "variant_key"
        )
        if (placement_key, variant_key) not in kept
    ]
    VariantStats.objects.filter(pk__in=stale).delete()
    return StatsRefresh(variants=len(stats), computed_at=now)
