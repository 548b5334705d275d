"""The serving model: everything needed to answer "top-k for this user" in-process."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .als import ItemFactors
from .neighbours import ItemNeighbours

# What a personal or related strategy scores with: neighbour lists or ALS item factors.
ItemScorer = ItemNeighbours | ItemFactors

# Popularity is added with this weight to every blended score so that items without
# personal evidence are ranked by popularity: the cold-start fallback for users with no
# (known) history, and the filler when personal strategies score fewer than k items.
# Small enough never to reorder items that have personal evidence.
POPULARITY_TIEBREAK = 1e-6

# Strategies scored from item vectors rather than neighbour lists.
ITEM_VECTOR_STRATEGIES = ("popularity", "trending")


def scale_to_unit_max(vector: np.ndarray) -> np.ndarray:
    """Divide by the largest value so strategies on different scales can be blended."""
    top = vector.max() if vector.size else 0.0
    return vector / top if top > 0 else vector


@dataclass
class TrainedModel:
    """Item index, neighbour lists and popularity vectors plus the blend weights.

    ``strategy_weights`` maps a strategy name (a key of ``neighbours``, or
    "popularity"/"trending") to its weight in the hybrid; ``segment_weights`` overrides
    it per segment. Item vectors are stored already scaled to a maximum of 1.
    """

    item_ids: np.ndarray
    item_index: dict[Hashable, int]
    neighbours: dict[str, ItemScorer]
    popularity: np.ndarray
    strategy_weights: dict[str, float]
    item_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    segment_popularity: dict[Hashable, np.ndarray] = field(default_factory=dict)
    segment_weights: dict[Hashable, dict[str, float]] = field(default_factory=dict)
    training_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def weights_for(self, segment: Hashable | None) -> dict[str, float]:
        return self.segment_weights.get(segment, self.strategy_weights)

    def fallback_for(self, segment: Hashable | None) -> np.ndarray:
        return self.segment_popularity.get(segment, self.popularity)

    def score_indices(
        self,
        history: np.ndarray,
        strengths: np.ndarray | None = None,
        *,
        segment: Hashable | None = None,
    ) -> np.ndarray:
        """Blended score of every item for a history of item indices (higher is better)."""
        fallback = self.fallback_for(segment)
        scores = POPULARITY_TIEBREAK * fallback
        for name, weight in self.weights_for(segment).items():
            if weight == 0:
                continue
            if name == "popularity":
                scores = scores + weight * fallback
            elif name in self.item_vectors:
                scores = scores + weight * self.item_vectors[name]
            elif len(history):
                personal = self.neighbours[name].score(history, strengths)
                scores = scores + weight * scale_to_unit_max(personal)
        return scores

    def recommend_indices(
        self,
        history: np.ndarray,
        k: int,
        *,
        strengths: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
        boosts: np.ndarray | None = None,
        segment: Hashable | None = None,
        exclude_history: bool = True,
    ) -> np.ndarray:
        """Top-k item indices, best first; see ``recommend`` for the arguments."""
        scores = self.score_indices(history, strengths, segment=segment)
        if boosts is not None:
            # Dividing negative scores keeps "boost > 1 moves an item up" true for EASE,
            # whose scores can be negative.
            scores = np.where(scores > 0, scores * boosts, scores / boosts)
        if exclude_history and len(history):
            scores[history] = -np.inf
        if exclude is not None and len(exclude):
            scores[exclude] = -np.inf
        k = min(k, scores.size)
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        finite: np.ndarray = top[np.isfinite(scores[top])]
        return finite

    def recommend(
        self,
        history: Iterable[Hashable] | Mapping[Hashable, float],
        k: int = 10,
        *,
        exclude: Iterable[Hashable] = (),
        out_of_stock: Iterable[Hashable] = (),
        boosts: Mapping[Hashable, float] | None = None,
        segment: Hashable | None = None,
        exclude_history: bool = True,
    ) -> list[Hashable]:
        """Top-k item ids for a user.

        ``history`` is the user's items, or item -> strength (e.g. purchase 5, view 1).
        Items the model has never seen are ignored; with no known history the result is
        (segment) popularity. ``exclude`` (e.g. already purchased) and ``out_of_stock``
        are never returned, nor is the history unless ``exclude_history`` is False.
        ``boosts`` maps item -> multiplier (>1 promotes, <1 demotes); the caller derives it
        from context such as country, device or season, e.g. the ratio of an item's
        popularity in the visitor's country to its overall popularity, or 1.5 for items
        tagged with the current season.
        """
        history_idx, strengths = self._history_indices(history)
        excluded = self._indices(exclude) + self._indices(out_of_stock)
        boost_vector = None
        if boosts:
            boost_vector = np.ones(self.n_items)
            for item, multiplier in boosts.items():
                index = self.item_index.get(item)
                if index is not None:
                    boost_vector[index] = multiplier
        top = self.recommend_indices(
            history_idx,
            k,
            strengths=strengths,
            exclude=np.asarray(excluded, dtype=np.int64),
            boosts=boost_vector,
            segment=segment,
            exclude_history=exclude_history,
        )
        chosen: list[Hashable] = self.item_ids[top].tolist()
        return chosen

    def _indices(self, items: Iterable[Hashable]) -> list[int]:
        lookup = self.item_index
        return [lookup[i] for i in items if i in lookup]

    def _history_indices(
        self, history: Iterable[Hashable] | Mapping[Hashable, float]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        lookup = self.item_index
        if isinstance(history, Mapping):
            known = [(lookup[i], w) for i, w in history.items() if i in lookup]
            indices = np.fromiter((i for i, _ in known), dtype=np.int64, count=len(known))
            strengths = np.fromiter((w for _, w in known), dtype=np.float64, count=len(known))
            return indices, strengths
        indices = np.fromiter({lookup[i] for i in history if i in lookup}, dtype=np.int64)
        return indices, None
