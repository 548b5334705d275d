"""Request-time recommendations: top-k from the active model, in-process.

Each process keeps the active `TrainedModel` in memory, keyed by version; it asks the
cache which version is active at most every `PZ_RECOMMENDER_VERSION_CHECK_SECONDS` and
loads a new artifact once when it changes (a training never blocks readers: they keep
the old version until the new one is committed). A catalog snapshot (stock, titles,
prices, categories aligned to the model's items) is refreshed when the catalog version
(`catalog.version`, bumped by every catalog write, one cache read per call) changes, so
removed and out-of-stock products leave results at once; bulk SQL that bypasses the
catalog services is caught by a check every `PZ_RECOMMENDER_CATALOG_CHECK_SECONDS`.

Per request: the visitor's recent products come from `selectors.visitor_activity` (one
small indexed query, cached until their next event) plus the cart from the profile
cache entry. Results are cached for `PZ_RECOMMENDER_RESULT_CACHE_SECONDS` per (model
version, catalog state, strategy, visitor or product or segment, k, context). Personal
results are keyed per visitor and their activity stamp; shared lists (popular, similar,
bought together) are cached longer than k and the visitor's purchases are removed
afterwards.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache

from catalog.version import CATALOG_VERSION_KEY, catalog_version
from core import cache_reads, clock
from core.holdout import in_global_holdout
from recommendations import selectors
from recommendations.context import (
    SeasonRule,
    combine,
    context_key,
    relative_popularity_boost,
    season_boost,
)
from recommendations.engine import TrainedModel
from recommendations.ranking import Ranking, rank_personal, rank_popular, rank_related
from segments.selectors import visitor_memberships
from tracking.selectors import consent_of, profile_cache_key, profile_entry_from

logger = logging.getLogger(__name__)

STRATEGIES = ("personal", "similar", "popular", "bought_together")
RESULT_PREFIX = "recs:result:"
MAX_BOOST_MEMO = 256


@dataclass(frozen=True)
class CatalogSnapshot:
    stamp: str
    unavailable: np.ndarray  # not in the catalog, or out of stock
    titles: list[str | None]
    prices: list[float | None]
    categories: list[str]


@dataclass
class LoadedModel:
    version: int
    model: TrainedModel
    catalog: CatalogSnapshot
    catalog_checked_at: float
    catalog_version: int | None = None
    boosts: dict[tuple[Any, ...], np.ndarray | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Recommendations:
    strategy: str
    items: list[dict[str, Any]]
    fallback: bool
    model_version: int | None

    def as_response(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "items": self.items, "fallback": self.fallback}


@dataclass(frozen=True)
class VisitorInput:
    visitor_id: str
    stamp: int
    recent: list[str]
    purchased: list[str]
    cart: list[str]
    last_context: dict[str, Any]
    # The activity was rebuilt by this request: no result is cached under its stamp yet.
    new_stamp: bool = False
    held_out: bool = False  # in the global holdout (core.holdout): popularity only


_lock = threading.Lock()
_loaded: LoadedModel | None = None
_version_checked_at = float("-inf")


def reset() -> None:
    """Forget the in-process model (tests, and after deleting versions by hand)."""
    global _loaded, _version_checked_at
    with _lock:
        _loaded, _version_checked_at = None, float("-inf")


def loaded_model() -> LoadedModel | None:
    """The active model of this process, reloaded when the active version changed."""
    global _loaded, _version_checked_at
    now = time.monotonic()
    current = _loaded
    interval = settings.PZ_RECOMMENDER_VERSION_CHECK_SECONDS
    if current is None or now - _version_checked_at >= interval:
        version = selectors.active_version()
        _version_checked_at = now
        if version is None:
            _loaded = current = None
        elif current is None or current.version != version:
            with _lock:
                current = _loaded
                if current is None or current.version != version:
                    current = _load(version) or current
                    _loaded = current
    if current is not None:
        catalog_at = catalog_version()
        if catalog_at != current.catalog_version or (
            now - current.catalog_checked_at >= settings.PZ_RECOMMENDER_CATALOG_CHECK_SECONDS
        ):
            current.catalog_checked_at, current.catalog_version = now, catalog_at
            stamp = f"{catalog_at}:{selectors.catalog_stamp()}"
            if stamp != current.catalog.stamp:
                current.catalog = _snapshot(current.model, stamp)
                current.boosts = {}
    return current


def _load(version: int) -> LoadedModel | None:
    data = selectors.artifact_of(version)
    if not data:
        logger.error("recommender v%s has no artifact; keeping the loaded version", version)
        return None
    try:
        # Written only by `services.train_recommender` into our own database.
        model = pickle.loads(data)  # noqa: S301
    except Exception:
        logger.exception("recommender v%s cannot be loaded; keeping the loaded version", version)
        return None
    catalog_at = catalog_version()
    catalog = _snapshot(model, f"{catalog_at}:{selectors.catalog_stamp()}")
    return LoadedModel(
        version=version,
        model=model,
        catalog=catalog,
        catalog_checked_at=time.monotonic(),
        catalog_version=catalog_at,
    )


def _snapshot(model: TrainedModel, stamp: str) -> CatalogSnapshot:
    n_items = model.n_items
    unavailable = np.ones(n_items, dtype=bool)
    titles: list[str | None] = [None] * n_items
    prices: list[float | None] = [None] * n_items
    categories = [""] * n_items
    lookup = model.item_index
    for product_id, title, price, category, in_stock in selectors.catalog_rows().iterator(
        chunk_size=5000
    ):
        index = lookup.get(product_id)
        if index is None:
            continue
        unavailable[index] = not in_stock
        titles[index] = title
        prices[index] = float(price) if price is not None else None
        categories[index] = category or ""
    return CatalogSnapshot(stamp, unavailable, titles, prices, categories)


def season_rules() -> list[SeasonRule]:
    return [
        SeasonRule.from_setting(name, spec)
        for name, spec in settings.PZ_RECOMMENDER_SEASONS.items()
    ]


def context_boosts(
    loaded: LoadedModel, *, country: str | None, device: str | None, month: int
) -> np.ndarray | None:
    """Multipliers for the request's country, device and season (see `context.py`)."""
    memo_key = (country, device, month)
    if memo_key in loaded.boosts:
        return loaded.boosts[memo_key]
    model = loaded.model
    options = settings.PZ_RECOMMENDER_CONTEXT_BOOST
    parts = []
    for dimension, value in (("country", country), ("device", device)):
        vector = model.segment_popularity.get(context_key(dimension, value)) if value else None
        if vector is not None:
            parts.append(relative_popularity_boost(vector, model.popularity, **options))
    parts.append(season_boost(loaded.catalog.categories, month, season_rules()))
    boosts = combine(*parts)
    if len(loaded.boosts) >= MAX_BOOST_MEMO:
        loaded.boosts.clear()
    loaded.boosts[memo_key] = boosts
    return boosts


def visitor_input(visitor_id: str | None, *, now: datetime) -> VisitorInput | None:
    """What personalization may use about a visitor: None for unknown visitors and for
    visitors who refused personalization (their results use only the request). The
    visitor's activity and profile are read in one cache round trip."""
    if not visitor_id:
        return None
    activity_key = selectors.recent_cache_key(visitor_id)
    profile_key = profile_cache_key(visitor_id)
    cached = cache_reads.get_many([activity_key, profile_key])
    # Never seen: the profile cache remembers it until their first event, so cookie-only
    # visitors cost this one cache read, not two queries per request.
    entry = profile_entry_from(visitor_id, cached.get(profile_key))
    if entry is None or not consent_of(entry).personalization:
        return None
    state = entry.state
    if in_global_holdout(entry.bucketing_id):
        return VisitorInput(state.visitor_id, 0, [], [], [], {}, held_out=True)
    activity = cached.get(activity_key) if state.visitor_id == visitor_id else None
    new_stamp = False
    if activity is None or activity.get("unknown"):
        started = time.time_ns()  # noqa: TID251 - compared with "stamp" only
        activity = selectors.visitor_activity(state.visitor_id, now=now)
        new_stamp = activity["stamp"] >= started
    return VisitorInput(
        visitor_id=state.visitor_id,
        stamp=activity["stamp"],
        recent=activity["recent"],
        purchased=activity["purchased"],
        cart=[str(product_id) for product_id in state.cart],
        last_context=dict(state.last_context or {}),
        new_stamp=new_stamp,
    )


def recommend(
    *,
    strategy: str,
    k: int = 10,
    visitor_id: str | None = None,
    product_id: str | None = None,
    segment: str | None = None,
    context: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Recommendations:
    """Top-k products for a visitor and strategy, never purchased or out-of-stock ones.

    - personal: the model's blend over the visitor's recent products and cart; no
      known history → (segment) popularity with ``fallback`` true.
    - similar: neighbours of ``product_id`` (`PZ_RECOMMENDER_RELATED_STRATEGIES`).
    - bought_together: co-purchases of ``product_id``, or of the cart without it.
    - popular: overall, or in ``segment``.
    Unknown products and segments fall back to popularity with ``fallback`` true.
    ``context`` (country, device) defaults to the visitor's last context.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    loaded = loaded_model()
    if loaded is None:
        return Recommendations(strategy, [], True, None)
    now = now or clock.now()
    visitor = visitor_input(visitor_id, now=now)
    if visitor is not None and visitor.held_out:
        # The global holdout sees what a shop without personalization would show.
        strategy, segment, visitor = "popular", None, None
    context = context or {}
    remembered = visitor.last_context if visitor else {}
    country = _clean(context.get("country") or remembered.get("country"), upper=True)
    device = _clean(context.get("device") or remembered.get("device"), upper=False)
    boosts = context_boosts(loaded, country=country, device=device, month=now.month)
    prefix = (
        f"{RESULT_PREFIX}{loaded.version}:{loaded.catalog.stamp}:{strategy}:{k}:"
        f"{country}:{device}:{now.month}"
    )
    model = loaded.model
    purchased = set(visitor.purchased) if visitor else set()
    segment_key = _segment_key(model, segment)

    if strategy == "personal":
        subject = f"v:{visitor.visitor_id}:{visitor.stamp}" if visitor else "anonymous"

        def personal() -> Ranking:
            history = _indices(model, [*visitor.cart, *visitor.recent]) if visitor else None
            fallback_segment = segment_key
            if visitor is not None and not len(history) and segment_key is None:
                fallback_segment = _membership_segment(model, visitor.visitor_id)
            return rank_personal(
                model,
                history[: settings.PZ_RECOMMENDER_HISTORY_ITEMS]
                if history is not None
                else np.empty(0, dtype=np.int64),
                k,
                blocked=_blocked(loaded, purchased),
                boosts=boosts,
                segment=fallback_segment,
            )

        ranking = _cached(
            f"{prefix}:{subject}:{segment_key}",
            personal,
            look_up=not (visitor and visitor.new_stamp),
        )
        return _result(loaded, strategy, ranking, k, purchased=set())

    fetch = k + settings.PZ_RECOMMENDER_OVERFETCH
    if strategy == "popular":
        ranking = _cached(
            f"{prefix}:segment:{segment_key}",
            lambda: rank_popular(
                model,
                fetch,
                blocked=loaded.catalog.unavailable,
                boosts=boosts,
                segment=segment_key,
                fallback=bool(segment) and segment_key is None,
            ),
        )
        return _result(loaded, strategy, ranking, k, purchased=purchased)

    chain = settings.PZ_RECOMMENDER_RELATED_STRATEGIES[strategy]
    item = model.item_index.get(product_id) if product_id else None
    look_up = True
    if item is not None:
        items = np.asarray([item], dtype=np.int64)
        key = f"{prefix}:product:{product_id}"
    elif product_id is None and strategy == "bought_together" and visitor and visitor.cart:
        items = _indices(model, visitor.cart)
        key = f"{prefix}:cart:{visitor.visitor_id}:{visitor.stamp}"
        look_up = not visitor.new_stamp
    else:
        items = np.empty(0, dtype=np.int64)
        key = f"{prefix}:product:-"
    ranking = _cached(
        key,
        lambda: rank_related(
            model, items, fetch, strategies=chain, blocked=loaded.catalog.unavailable, boosts=boosts
        ),
        look_up=look_up,
    )
    return _result(loaded, strategy, ranking, k, purchased=purchased)


def recommend_for_visitor(
    *,
    strategy: str | None,
    k: int,
    visitor_id: str | None,
    product_id: str | None = None,
    segment: str | None = None,
    context: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Items for a carousel: dicts with product_id, score, title and price. A failure
    degrades to an empty carousel; the page is never broken by the recommender."""
    try:
        return recommend(
            strategy=strategy if strategy in STRATEGIES else "personal",
            k=k,
            visitor_id=visitor_id,
            product_id=product_id,
            segment=segment,
            context=context,
        ).items
    except Exception:
        logger.exception("recommendations unavailable")
        return []


def _cached(key: str, compute: Any, *, look_up: bool = True) -> Ranking:
    """The ranking cached under `key`, else computed and cached; `look_up=False` when the
    key is known to be new (it holds a stamp made for this request)."""
    hit = cache.get(key) if look_up else None
    if hit is not None:
        indices, scores, fallback = hit
        return Ranking(np.asarray(indices, dtype=np.int64), np.asarray(scores), fallback)
    ranking = compute()
    cache.set(
        key,
        (ranking.indices.tolist(), ranking.scores.tolist(), ranking.fallback),
        settings.PZ_RECOMMENDER_RESULT_CACHE_SECONDS,
    )
    return ranking


def _result(
    loaded: LoadedModel, strategy: str, ranking: Ranking, k: int, *, purchased: set[str]
) -> Recommendations:
    catalog, item_ids = loaded.catalog, loaded.model.item_ids
    items = []
    for index, score in zip(ranking.indices.tolist(), ranking.scores.tolist(), strict=True):
        product_id = str(item_ids[index])
        if product_id in purchased:
            continue
        items.append(
            {
                "product_id": product_id,
                "score": round(float(score), 4),
                "title": catalog.titles[index],
                "price": catalog.prices[index],
            }
        )
        if len(items) == k:
            break
    return Recommendations(strategy, items, ranking.fallback, loaded.version)


def _blocked(loaded: LoadedModel, purchased: set[str]) -> np.ndarray:
    blocked = loaded.catalog.unavailable
    indices = _indices(loaded.model, purchased)
    if len(indices):
        blocked = blocked.copy()
        blocked[indices] = True
    return blocked


def _indices(model: TrainedModel, product_ids: Sequence[str] | set[str]) -> np.ndarray:
    lookup = model.item_index
    known = dict.fromkeys(lookup[p] for p in product_ids if p in lookup)
    return np.fromiter(known, dtype=np.int64, count=len(known))


def _segment_key(model: TrainedModel, segment: str | None) -> str | None:
    if not segment:
        return None
    key = context_key("segment", segment)
    return key if key in model.segment_popularity else None


def _membership_segment(model: TrainedModel, visitor_id: str) -> str | None:
    """For a known visitor without product history: the first of their materialized
    segments that has its own popularity."""
    keys = visitor_memberships(visitor_id).values_list("segment__key", flat=True)
    for segment in keys:
        key = _segment_key(model, segment)
        if key is not None:
            return key
    return None


def _clean(value: Any, *, upper: bool) -> str | None:
    if not isinstance(value, str) or not value or len(value) > 32:
        return None
    return value.upper() if upper else value.lower()


def _read_ahead_keys(visitor_id: str | None) -> list[str]:
    # What `visitor_input` and `_current_model` read later in the same decision.
    keys = [CATALOG_VERSION_KEY]
    if visitor_id:
        keys += [selectors.recent_cache_key(visitor_id), profile_cache_key(visitor_id)]
    return keys


cache_reads.read_ahead_for(_read_ahead_keys)
