"""Reads behind the reports: what each visitor bought in a period, and which measurement
group (core.holdout) each visitor is in.

Revenue is attributed by visitor, not by last click: every purchase a visitor makes in the
period counts for the group the visitor is in (personalized or holdout), whatever they
saw before it. This is the one place that rule lives; every report reads it from here.
A visitor belongs to the period when they have any event in it; stitched ids count as the
customer they were stitched into (one bucketing id, so one group)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from content.models import PlacementVariant, VariantStats
from core.holdout import Group, holdout_group
from tracking import analytics
from tracking.models import Event, VisitorAlias, VisitorProfile
from tracking.selectors import consent_of

CHUNK = 2_000


@dataclass(frozen=True)
class VisitorDay:
    visitor_id: str  # canonical
    day: date
    orders: int
    revenue: float


def _chunks(items: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def visitor_days(start: datetime, end: datetime) -> list[VisitorDay]:
    """Per visitor and UTC day with any event in [start, end): their orders and revenue,
    aggregated in SQL; aliases resolved to the canonical visitor."""
    purchase = Q(type="purchase")
    rows = (
        Event.objects.filter(timestamp__gte=start, timestamp__lt=end)
        .annotate(day=TruncDate("timestamp", tzinfo=UTC))
        .values("visitor_id", "day")
        .annotate(
            orders=Count("id", filter=purchase),
            revenue=Sum(analytics.order_revenue(), filter=purchase),
        )
        .values_list("visitor_id", "day", "orders", "revenue")
    )
    rows = list(rows)
    canonical = canonical_ids({row[0] for row in rows})
    return [
        VisitorDay(canonical.get(vid, vid), day, int(orders), float(revenue or 0.0))
        for vid, day, orders, revenue in rows
    ]


def canonical_ids(visitor_ids: Iterable[str]) -> dict[str, str]:
    """Stitched anonymous ids → the known visitor's id (ids not stitched are left out)."""
    found: dict[str, str] = {}
    for chunk in _chunks(visitor_ids):
        found.update(
            VisitorAlias.objects.filter(alias_id__in=chunk).values_list("alias_id", "visitor_id")
        )
    return found


def visitor_groups(visitor_ids: Iterable[str]) -> dict[str, Group]:
    """The measurement group of each visitor with a profile and personalization consent
    (effective: their own choice, else the site default); the others are in neither."""
    groups: dict[str, Group] = {}
    for chunk in _chunks(visitor_ids):
        for vid, bucketing_id, consent in VisitorProfile.objects.filter(
            visitor_id__in=chunk
        ).values_list("visitor_id", "bucketing_id", "consent_personalization"):
            allowed = consent_of(None).personalization if consent is None else consent
            group = holdout_group(bucketing_id, personalization=allowed)
            if group is not None:
                groups[vid] = group
    return groups


@dataclass(frozen=True)
class PlacementContribution:
    """Targeted variants vs the fallback of one placement, among the visitors who saw it
    (content's variant stats). Associated, not causal: who sees a targeted variant is
    chosen by targeting, so the groups differ in more than the content."""

    placement: str
    targeted_viewers: int
    targeted_rate: float
    fallback_viewers: int
    fallback_rate: float
    revenue: float

    @property
    def difference(self) -> float | None:
        """Relative difference of the conversion rates (targeted / fallback - 1)."""
        if not (self.targeted_viewers and self.fallback_viewers and self.fallback_rate):
            return None
        return self.targeted_rate / self.fallback_rate - 1


def placement_contributions() -> list[PlacementContribution]:
    """Per placement with both targeted and fallback viewers, from the stored variant
    stats (refreshed hourly by content's task)."""
    fallbacks = set(
        PlacementVariant.objects.filter(is_fallback=True).values_list("placement__key", "key")
    )
    sums: dict[str, list[float]] = {}
    for row in VariantStats.objects.all():
        acc = sums.setdefault(row.placement_key, [0, 0, 0, 0, 0.0])
        offset = 2 if (row.placement_key, row.variant_key) in fallbacks else 0
        acc[offset] += row.viewers
        acc[offset + 1] += row.conversions
        acc[4] += row.revenue
    result = []
    for key, (t_n, t_c, f_n, f_c, revenue) in sorted(sums.items()):
        result.append(
            PlacementContribution(
                placement=key,
                targeted_viewers=int(t_n),
                targeted_rate=t_c / t_n if t_n else 0.0,
                fallback_viewers=int(f_n),
                fallback_rate=f_c / f_n if f_n else 0.0,
                revenue=revenue,
            )
        )
    return result
