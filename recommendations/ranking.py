"""Top-k rankings for each serving strategy over a `TrainedModel`: pure numpy.

Every function takes a ``blocked`` mask (items never to return: out of stock, not in the
catalogue, already purchased) and optional ``boosts`` (context multipliers), and returns
item indices best first with their scores and whether the result is a fallback, i.e.
ranked by popularity because the strategy had no evidence for this visitor or product.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from recommendations.engine.model import TrainedModel, scale_to_unit_max


@dataclass(frozen=True)
class Ranking:
    indices: np.ndarray
    scores: np.ndarray
    fallback: bool


def apply_boosts(scores: np.ndarray, boosts: np.ndarray | None) -> np.ndarray:
    if boosts is None:
        return scores
    # As in `TrainedModel.recommend_indices`: dividing negative scores keeps "boost > 1
    # moves an item up" true for EASE.
    return np.where(scores > 0, scores * boosts, scores / boosts)


def top_k(scores: np.ndarray, k: int, blocked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The k best unblocked, finite scores, best first (ties by index)."""
    scores = np.where(blocked, -np.inf, scores)
    k = min(k, scores.size)
    if k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]
    top = top[np.isfinite(scores[top])]
    return top.astype(np.int64), scores[top]


def rank_popular(
    model: TrainedModel,
    k: int,
    *,
    blocked: np.ndarray,
    boosts: np.ndarray | None = None,
    segment: Hashable | None = None,
    fallback: bool = False,
) -> Ranking:
    """Most popular items (in ``segment`` when the model has its vector)."""
    scores = apply_boosts(np.asarray(model.fallback_for(segment), dtype=np.float64), boosts)
    indices, values = top_k(scores, k, blocked)
    return Ranking(indices, values, fallback)


def rank_personal(
    model: TrainedModel,
    history: np.ndarray,
    k: int,
    *,
    blocked: np.ndarray,
    boosts: np.ndarray | None = None,
    segment: Hashable | None = None,
) -> Ranking:
    """The model's blend for a visitor's history (item indices); the history itself is
    never returned. No known history: popularity, flagged as fallback."""
    if len(history) == 0:
        return rank_popular(
            model, k, blocked=blocked, boosts=boosts, segment=segment, fallback=True
        )
    scores = apply_boosts(model.score_indices(history, segment=segment), boosts)
    blocked = blocked.copy()
    blocked[history] = True
    indices, values = top_k(scores, k, blocked)
    return Ranking(indices, values, False)


def rank_related(
    model: TrainedModel,
    items: np.ndarray,
    k: int,
    *,
    strategies: Sequence[str],
    blocked: np.ndarray,
    boosts: np.ndarray | None = None,
) -> Ranking:
    """Items related to ``items`` (one product, or a cart) by the first strategy in
    ``strategies`` with neighbours for them, scored by summed neighbour weight (scaled
    to a maximum of 1); popularity fills the rest with score 0. When no strategy has a
    neighbour the result is popularity, with its scores, flagged as fallback."""
    blocked = blocked.copy()
    blocked[items] = True
    chosen = np.empty(0, dtype=np.int64)
    values = np.empty(0)
    if len(items):
        for name in strategies:
            neighbours = model.neighbours.get(name)
            if neighbours is None:
                continue
            scores = np.asarray(neighbours.score(items), dtype=np.float64)
            scores = np.where(scores > 0, scores, -np.inf)
            chosen, values = top_k(apply_boosts(scale_to_unit_max(scores), boosts), k, blocked)
            if len(chosen):
                break
    if len(chosen) >= k:
        return Ranking(chosen, values, False)
    blocked[chosen] = True
    filler = rank_popular(model, k - len(chosen), blocked=blocked, boosts=boosts)
    if not len(chosen):
        return Ranking(filler.indices, filler.scores, fallback=True)
    # Filler scores are 0 so that scores never rise down the list.
    return Ranking(
        np.concatenate([chosen, filler.indices]),
        np.concatenate([values, np.zeros(len(filler.indices))]),
        fallback=False,
    )
