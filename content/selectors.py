"""Reads for the content admin: placement performance and the "preview as" decision."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from content.models import Placement, PlacementVariant, VariantStats
from core import clock
from core.request_context import headless_context
from personalization.request_decisions import PREVIEW_SEGMENTS_PARAM
from personalization.services import Decision, decide


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


def preview_storefront_url(
    *, path: str, segments: list[str], utm_source: str = "", device: str = "", country: str = ""
) -> str:
    """The storefront URL that shows `path` to staff as members of `segments` (and, if
    given, on a device and from a country)."""
    query = {PREVIEW_SEGMENTS_PARAM: ",".join(segments)}
    if utm_source:
        query["utm_source"] = utm_source
    if device:
        query["pz_preview_device"] = device
    if country:
        query["pz_preview_country"] = country
    return f"{path}?{urlencode(query, safe=',')}"


def preview_decision(
    *, segments: list[str], device: str = "", country: str = "", utm_source: str = "", path: str
) -> Decision:
    """What every live placement would show a visitor in exactly `segments` with this
    request context, decided by the same `decide` the storefront calls."""
    raw: dict[str, Any] = {"url": path, "device": device, "country": country}
    if utm_source:
        raw["utm_source"] = utm_source
    now = clock.now()
    keys = list(Placement.objects.filter(live=True).order_by("key").values_list("key", flat=True))
    return decide(
        visitor_id=None,
        placement_keys=keys,
        context=headless_context(raw, now=clock.localtime(now)),
        now=now,
        forced_segments=segments,
    )
