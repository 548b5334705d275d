"""Reads for serving and reporting: the active version, the visitor's recent products,
the catalog snapshot and the click-through rate per strategy."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.fields.json import KT

from catalog.models import Product
from core import clock
from recommendations.artifacts import ArtifactUnreadable, read_artifact_file
from recommendations.models import RecommenderModel
from tracking.models import Event

logger = logging.getLogger(__name__)

ACTIVE_VERSION_KEY = "recs:active-version"
RECENT_PREFIX = "recs:recent:"
# Event types that change what a visitor's recommendations should be.
ACTIVITY_TYPES = ("product_view", "add_to_cart", "purchase")
INVALIDATING_TYPES = frozenset({*ACTIVITY_TYPES, "remove_from_cart", "login"})


def recommender_models() -> QuerySet[RecommenderModel]:
    return RecommenderModel.objects.order_by("-version")


def active_version() -> int | None:
    """The active version, from the cache (refreshed from the database on a miss)."""
    version = cache.get(ACTIVE_VERSION_KEY)
    if version is None:
        version = (
            RecommenderModel.objects.filter(is_active=True)
            .values_list("version", flat=True)
            .first()
        ) or 0
        cache.set(ACTIVE_VERSION_KEY, version, settings.PZ_RECOMMENDER_VERSION_CACHE_SECONDS)
    return version or None


def artifact_of(version: int) -> bytes | None:
    """The pickled model of a version, from its row or its checked file; None when it has
    none (dropped, or the file is missing or altered: logged)."""
    row = (
        RecommenderModel.objects.filter(version=version)
        .values_list("artifact", "artifact_file", "artifact_sha256")
        .first()
    )
    if row is None:
        return None
    data, file_name, sha256 = row
    if data:
        return bytes(data)
    if not file_name:
        return None
    try:
        return read_artifact_file(file_name, sha256)
    except ArtifactUnreadable:
        logger.exception("recommender v%s: artifact file unreadable", version)
        return None


def recent_cache_key(visitor_id: str) -> str:
    return RECENT_PREFIX + visitor_id


def visitor_activity(visitor_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The visitor's recent product ids (newest first) and purchased ids, from one small
    indexed query (visitor, type, time) cached per visitor until their next event.

    ``stamp`` changes whenever the entry is rebuilt, so results cached under it are
    never served after the visitor acted.
    """
    key = recent_cache_key(visitor_id)
    entry = cache.get(key)
    if entry is not None and not entry.get("unknown"):
        return entry
    now = now or clock.now()
    since = now - timedelta(days=settings.PZ_RECOMMENDER_RECENT_DAYS)
    rows = (
        Event.objects.filter(visitor_id=visitor_id, type__in=ACTIVITY_TYPES, timestamp__gte=since)
        .order_by("-timestamp")
        .values_list("type", "properties")[: settings.PZ_RECOMMENDER_RECENT_EVENTS]
    )
    recent: list[str] = []
    purchased: list[str] = []
    for event_type, properties in rows:
        properties = properties if isinstance(properties, dict) else {}
        if event_type == "purchase":
            lines = [line for line in properties.get("items") or () if isinstance(line, dict)]
            ids = [str(line["product_id"]) for line in lines if line.get("product_id")]
            purchased.extend(ids)
        else:
            ids = [str(properties["product_id"])] if properties.get("product_id") else []
        recent.extend(ids)
    entry = {
        "stamp": time.time_ns(),  # noqa: TID251 - freshness stamp, not business time
        "recent": list(dict.fromkeys(recent)),
        "purchased": list(dict.fromkeys(purchased)),
    }
    cache.set(key, entry, settings.PZ_RECOMMENDER_RECENT_CACHE_SECONDS)
    return entry


def forget_visitor_activity(visitor_ids: Iterable[str]) -> None:
    cache.delete_many([recent_cache_key(v) for v in visitor_ids])


def catalog_stamp() -> str:
    """Changes when a product is added, removed, saved or goes in or out of stock (one
    aggregate query; bulk `.update(in_stock=...)` without `updated_at` is seen too)."""
    state = Product.objects.aggregate(
        count=Count("id"),
        out_of_stock=Count("id", filter=Q(in_stock=False)),
        changed=Max("updated_at"),
    )
    changed = state["changed"].isoformat() if state["changed"] else "-"
    return f"{state['count']}:{state['out_of_stock']}:{changed}"


def catalog_rows() -> QuerySet:
    return Product.objects.order_by().values_list(
        "product_id", "title", "price", "category", "in_stock"
    )


@dataclass(frozen=True)
class StrategyCtr:
    strategy: str
    impressions: int
    clicks: int

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None

    @property
    def ctr_percent(self) -> float | None:
        return None if self.ctr is None else 100.0 * self.ctr


def ctr_by_strategy(*, since: datetime, until: datetime | None = None) -> list[StrategyCtr]:
    """Impressions and clicks of recommendation placements per strategy (the
    `properties.strategy` the tracker copies from the carousel), one grouped query."""
    events = Event.objects.filter(type__in=("impression", "click"), timestamp__gte=since)
    if until is not None:
        events = events.filter(timestamp__lt=until)
    rows = (
        events.filter(properties__has_key="strategy")
        .values("type", name=KT("properties__strategy"))
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        if row["name"]:
            counts.setdefault(row["name"], {})[row["type"]] = row["n"]
    return [
        StrategyCtr(strategy=name, impressions=c.get("impression", 0), clicks=c.get("click", 0))
        for name, c in sorted(counts.items())
    ]
