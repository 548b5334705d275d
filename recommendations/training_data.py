"""Reads the training data from the database: implicit feedback from events, the catalog
(texts and stock) and segment memberships. Rows are streamed with `values_list` in
chunks and JSON keys are extracted by the database, so memory stays at the arrays."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models.fields.json import KT

from catalog.models import Product
from core.replicas import replica_alias
from segments.models import SegmentMembership
from tracking.models import Event

CHUNK_SIZE = 5000
# Event type whose properties.items[] are one basket (an order).
PURCHASE = "purchase"


@dataclass
class EventArrays:
    """One row per (event, product): parallel lists, converted to arrays by `finish`."""

    users: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    timestamps: list[float] = field(default_factory=list)
    baskets: list[str | None] = field(default_factory=list)
    countries: list[str | None] = field(default_factory=list)
    devices: list[str | None] = field(default_factory=list)

    def add(
        self,
        user: str,
        item: object,
        weight: float,
        at: datetime,
        basket: str | None,
        country: str | None,
        device: str | None,
    ) -> None:
        if item in (None, ""):
            return
        self.users.append(user)
        self.items.append(str(item))
        self.weights.append(weight)
        self.timestamps.append(at.timestamp())
        self.baskets.append(basket)
        self.countries.append(country.upper() if isinstance(country, str) else None)
        self.devices.append(device.lower() if isinstance(device, str) else None)

    def __len__(self) -> int:
        return len(self.users)


def read_events(*, since: datetime, until: datetime, weights: Mapping[str, float]) -> EventArrays:
    """Every weighted product event in [since, until): single-product events (view, cart)
    with `properties.product_id`, purchases with each of `properties.items[]`."""
    rows = EventArrays()
    window = {"timestamp__gte": since, "timestamp__lt": until}
    single = [t for t in weights if t != PURCHASE and weights[t]]
    if single:
        queryset = (
            Event.objects.using(replica_alias())
            .filter(type__in=single, **window)
            .values_list(
                "visitor_id",
                "type",
                "timestamp",
                KT("properties__product_id"),
                KT("context__country"),
                KT("context__device"),
            )
        )
        for visitor, event_type, at, product, country, device in queryset.iterator(
            chunk_size=CHUNK_SIZE
        ):
            rows.add(visitor, product, weights[event_type], at, None, country, device)
    if weights.get(PURCHASE):
        weight = weights[PURCHASE]
        queryset = (
            Event.objects.using(replica_alias())
            .filter(type=PURCHASE, **window)
            .values_list("id", "visitor_id", "timestamp", "properties", "context")
        )
        for pk, visitor, at, properties, context in queryset.iterator(chunk_size=CHUNK_SIZE):
            properties = properties if isinstance(properties, dict) else {}
            context = context if isinstance(context, dict) else {}
            basket = f"{visitor}:{properties.get('order_id') or pk}"
            for line in properties.get("items") or ():
                if isinstance(line, dict):
                    rows.add(
                        visitor,
                        line.get("product_id"),
                        weight,
                        at,
                        basket,
                        context.get("country"),
                        context.get("device"),
                    )
    return rows


@dataclass(frozen=True)
class CatalogRows:
    product_ids: list[str]
    texts: dict[str, str]


def read_catalog() -> CatalogRows:
    """Every product with its text for content similarity (title, category words,
    description)."""
    ids: list[str] = []
    texts: dict[str, str] = {}
    queryset = Product.objects.using(replica_alias()).values_list(
        "product_id", "title", "category", "description"
    )
    for product_id, title, category, description in queryset.iterator(chunk_size=CHUNK_SIZE):
        ids.append(product_id)
        texts[product_id] = " ".join(
            part for part in (title, (category or "").replace("/", " "), description) if part
        )
    return CatalogRows(product_ids=ids, texts=texts)


def read_segment_members() -> dict[str, list[str]]:
    """Current members of every materialized segment, by segment key."""
    members: dict[str, list[str]] = defaultdict(list)
    queryset = (
        SegmentMembership.objects.using(replica_alias())
        .filter(left_at__isnull=True, segment__is_active=True)
        .values_list("segment__key", "visitor_id")
    )
    for key, visitor in queryset.iterator(chunk_size=CHUNK_SIZE):
        members[key].append(visitor)
    return dict(members)
