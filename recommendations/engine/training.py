"""Train every strategy a hybrid needs and assemble the serving ``TrainedModel``."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .als import train_als
from .bought_together import Normalisation, train_bought_together
from .content import train_content_neighbours
from .ease import MAX_DENSE_ITEMS, train_ease
from .interactions import Interactions
from .item_knn import Weighting, train_item_knn
from .model import ITEM_VECTOR_STRATEGIES, ItemScorer, TrainedModel, scale_to_unit_max
from .neighbours import ItemNeighbours, for_serving
from .popularity import item_popularity, segment_popularity, trending_popularity

SECONDS_PER_DAY = 86_400.0
# What "ease" becomes above `TrainingConfig.ease_max_dense_items` products: models whose
# memory grows with items x neighbours (or factors), not items squared.
LARGE_CATALOG_STRATEGIES = ("item_knn_bm25", "item_knn", "als")


@dataclass(frozen=True)
class TrainingConfig:
    """Hyperparameters of every strategy and the blend weights.

    Strategy names: "item_knn", "item_knn_bm25", "ease", "als", "content",
    "bought_together", "popularity", "trending". Only strategies with a non-zero weight
    (overall or in a segment) are trained. Above ``ease_max_dense_items`` items "ease" is
    replaced by ``large_catalog_strategy`` (see ``resolve_strategy_weights``). Defaults
    are the values chosen on validation splits carved from MovieLens-100K training data
    (``manage.py evaluate_recommenders``). The default blend is EASE alone: tuned hybrids
    were within noise of it on both benchmarks. Neighbour lists cost n_items x neighbours
    x 8 bytes, so lower them for large catalogues.
    """

    strategy_weights: Mapping[str, float] = field(default_factory=lambda: {"ease": 1.0})
    segment_weights: Mapping[Hashable, Mapping[str, float]] = field(default_factory=dict)
    knn_neighbours: int = 800
    knn_shrink: float = 10.0
    bm25_neighbours: int = 800
    bm25_shrink: float = 100.0
    ease_l2: float = 500.0
    ease_neighbours: int | None = None
    ease_max_dense_items: int = MAX_DENSE_ITEMS
    large_catalog_strategy: str = "item_knn_bm25"
    als_factors: int = 64
    als_regularization: float = 50.0
    als_alpha: float = 3.0
    als_iterations: int = 15
    als_bm25: bool = True
    seed: int = 42
    content_neighbours: int = 400
    bought_together_neighbours: int = 50
    bought_together_normalisation: Normalisation = "cosine"
    bought_together_min_count: int = 2
    trending_half_life_days: float = 14.0
    binary: bool = True

    def active_strategies(self, n_items: int | None = None) -> set[str]:
        """Strategies with a weight anywhere; given the catalogue size, after the
        large-catalogue substitution."""
        weights = [self.strategy_weights, *self.segment_weights.values()]
        if n_items is not None:
            weights = [resolve_strategy_weights(w, n_items, self) for w in weights]
        return {name for mapping in weights for name, w in mapping.items() if w}


def resolve_strategy_weights(
    weights: Mapping[str, float], n_items: int, config: TrainingConfig
) -> dict[str, float]:
    """The blend to train and serve for a catalogue of ``n_items``: EASE's dense n x n
    inverse stops at ``config.ease_max_dense_items`` (3.2 GB at 20,000 items), so above
    it "ease" is replaced by ``config.large_catalog_strategy`` (weights add up when the
    blend already has it)."""
    if n_items <= config.ease_max_dense_items or "ease" not in weights:
        return dict(weights)
    large = config.large_catalog_strategy
    if large not in LARGE_CATALOG_STRATEGIES:
        known = ", ".join(LARGE_CATALOG_STRATEGIES)
        raise ValueError(f"unknown large_catalog_strategy {large!r}; one of {known}")
    resolved = {name: w for name, w in weights.items() if name != "ease"}
    resolved[large] = resolved.get(large, 0.0) + weights["ease"]
    return resolved


def train_model(
    interactions: Interactions,
    config: TrainingConfig | None = None,
    *,
    item_texts: Mapping[Hashable, str] | None = None,
    baskets: tuple[Sequence[Hashable], Sequence[Hashable]] | None = None,
    user_segments: Mapping[Hashable, Hashable] | None = None,
) -> TrainedModel:
    """Fit the strategies named in ``config`` and return a model ready to serve.

    ``item_texts`` (item id -> text) feeds "content"; ``baskets`` is a pair of parallel
    sequences (basket id, item id) for "bought_together"; ``user_segments`` (user id ->
    segment) gives per-segment popularity fallbacks.
    """
    config = config or TrainingConfig()
    n_items = interactions.n_items
    active = config.active_strategies(n_items)
    matrix = interactions.binary() if config.binary else interactions.matrix
    seconds: dict[str, float] = {}
    neighbours: dict[str, ItemScorer] = {}
    vectors: dict[str, np.ndarray] = {}

    def timed(name: str, train: Callable[[], Any]) -> None:
        started = time.perf_counter()
        result = train()
        seconds[name] = time.perf_counter() - started
        if name in ITEM_VECTOR_STRATEGIES:
            vectors[name] = result
        elif isinstance(result, ItemNeighbours):
            neighbours[name] = for_serving(result)
        else:
            neighbours[name] = result

    started = time.perf_counter()
    popularity = scale_to_unit_max(item_popularity(interactions))
    by_segment = {
        segment: scale_to_unit_max(vector)
        for segment, vector in segment_popularity(interactions, user_segments or {}).items()
    }
    seconds["popularity"] = time.perf_counter() - started

    if "item_knn" in active:
        timed(
            "item_knn",
            lambda: train_item_knn(
                matrix, n_neighbours=config.knn_neighbours, shrink=config.knn_shrink
            ),
        )
    if "item_knn_bm25" in active:
        weighting: Weighting = "bm25"
        timed(
            "item_knn_bm25",
            lambda: train_item_knn(
                matrix,
                n_neighbours=config.bm25_neighbours,
                shrink=config.bm25_shrink,
                weighting=weighting,
            ),
        )
    if "ease" in active:
        timed(
            "ease",
            lambda: train_ease(
                matrix,
                l2=config.ease_l2,
                n_neighbours=config.ease_neighbours,
                max_dense_items=config.ease_max_dense_items,
            ),
        )
    if "als" in active:
        timed(
            "als",
            lambda: train_als(
                matrix,
                factors=config.als_factors,
                regularization=config.als_regularization,
                alpha=config.als_alpha,
                iterations=config.als_iterations,
                bm25=config.als_bm25,
                seed=config.seed,
            ),
        )
    if "content" in active:
        timed(
            "content",
            lambda: train_content_neighbours(
                interactions.item_ids, item_texts or {}, n_neighbours=config.content_neighbours
            ),
        )
    if "bought_together" in active:
        if baskets is None:
            raise ValueError("bought_together needs baskets")
        timed("bought_together", lambda: _train_bought_together(interactions, baskets, config))
    if "trending" in active:
        timed(
            "trending",
            lambda: scale_to_unit_max(
                trending_popularity(
                    interactions,
                    half_life_seconds=config.trending_half_life_days * SECONDS_PER_DAY,
                )
            ),
        )
    return TrainedModel(
        item_ids=interactions.item_ids,
        item_index=interactions.item_index,
        neighbours=neighbours,
        popularity=popularity,
        strategy_weights=resolve_strategy_weights(config.strategy_weights, n_items, config),
        item_vectors=vectors,
        segment_popularity=by_segment,
        segment_weights={
            s: resolve_strategy_weights(w, n_items, config)
            for s, w in config.segment_weights.items()
        },
        training_seconds=seconds,
    )


def _train_bought_together(
    interactions: Interactions,
    baskets: tuple[Sequence[Hashable], Sequence[Hashable]],
    config: TrainingConfig,
) -> ItemNeighbours:
    basket_ids, basket_items = baskets
    lookup = interactions.item_index
    indices = np.fromiter((lookup.get(i, -1) for i in basket_items), dtype=np.int64)
    known = indices >= 0
    return train_bought_together(
        np.asarray(basket_ids)[known],
        indices[known],
        interactions.n_items,
        n_neighbours=config.bought_together_neighbours,
        normalisation=config.bought_together_normalisation,
        min_count=config.bought_together_min_count,
    )
