"""Reads for the content admin: placement performance."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from content.models import Placement, PlacementVariant, VariantStats


@dataclass(frozen=True)
class VariantPerformance:
    """One row of a placement's performance table (`stats` is None before any data)."""

    key: str
    variant: PlacementVariant | None
    stats: VariantStats | None

    @property
    def removed(self) -> bool:
        return self.variant is None

    @property
    def ctr_percent(self) -> float:
        return 100 * self.stats.ctr if self.stats else 0.0

    @property
    def conversion_rate_percent(self) -> float:
        return 100 * self.stats.conversion_rate if self.stats else 0.0


def _stats_total(field: str) -> Subquery:
    totals = (
        VariantStats.objects.filter(placement_key=OuterRef("key"))
        .order_by()
        .values("placement_key")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Subquery(totals, output_field=IntegerField())


def with_performance_totals(queryset: QuerySet[Placement]) -> QuerySet[Placement]:
    """Placements annotated with `total_impressions` and `total_clicks` over variants."""
    return queryset.annotate(
        total_impressions=Coalesce(_stats_total("impressions"), 0),
        total_clicks=Coalesce(_stats_total("clicks"), 0),
    )


def placement_performance(placement: Placement) -> list[VariantPerformance]:
    """The live variants of a placement with their stats, then stats of variant keys no
    longer on the placement (removed or renamed), so no figures disappear silently."""
    stats = {
        row.variant_key: row for row in VariantStats.objects.filter(placement_key=placement.key)
    }
    rows = [
        VariantPerformance(key=variant.key, variant=variant, stats=stats.pop(variant.key, None))
        for variant in placement.variants.select_related("component").order_by(
            F("priority").desc(), "sort_order"
        )
    ]
    rows += [
        VariantPerformance(key=key, variant=None, stats=row) for key, row in sorted(stats.items())
    ]
    return rows


def stats_computed_at(placement: Placement) -> datetime | None:
    """When the placement's figures were last computed, if ever."""
    return (
        VariantStats.objects.filter(placement_key=placement.key)
        .order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .first()
    )
