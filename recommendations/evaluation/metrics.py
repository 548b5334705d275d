"""Top-k ranking metrics with binary relevance, written from their formulas.

Each per-user function takes the ranked recommendations (best first) and the set of
relevant (held-out) items; ``mean_ranking_metrics`` averages them over users.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass


def _hits(recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> int:
    return sum(1 for item in recommended[:k] if item in relevant)


def precision_at_k(
    recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int
) -> float:
    """|top-k ∩ relevant| / k. Divides by k even when fewer than k items were returned,
    so returning less is never rewarded."""
    return _hits(recommended, relevant, k) / k


def recall_at_k(recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """|top-k ∩ relevant| / |relevant| (0 when nothing is relevant)."""
    return _hits(recommended, relevant, k) / len(relevant) if relevant else 0.0


def hit_rate_at_k(recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """1 if any of the top-k is relevant, else 0."""
    return 1.0 if _hits(recommended, relevant, k) else 0.0


def ndcg_at_k(recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """DCG / ideal DCG with binary gains: DCG = sum over relevant ranks r (1-based, r <= k)
    of 1 / log2(r + 1); the ideal places min(k, |relevant|) hits at ranks 1..."""
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, item in enumerate(recommended[:k], start=1)
        if item in relevant
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0


def catalogue_coverage(
    recommendations: Iterable[Sequence[Hashable]], n_items: int, k: int
) -> float:
    """Share of the catalogue appearing in at least one user's top-k: low values mean
    everyone is shown the same few items."""
    shown = {item for ranked in recommendations for item in ranked[:k]}
    return len(shown) / n_items if n_items else 0.0


@dataclass(frozen=True)
class RankingMetrics:
    precision: float
    recall: float
    ndcg: float
    hit_rate: float
    coverage: float
    n_users: int


def mean_ranking_metrics(
    recommendations: Sequence[Sequence[Hashable]],
    relevant: Sequence[Collection[Hashable]],
    k: int,
    n_items: int,
) -> RankingMetrics:
    """Per-user metrics averaged over users (parallel sequences), plus coverage."""
    n_users = len(recommendations)
    if n_users == 0:
        return RankingMetrics(0.0, 0.0, 0.0, 0.0, 0.0, 0)

    def mean(metric) -> float:
        pairs = zip(recommendations, relevant, strict=True)
        return sum(metric(ranked, truth, k) for ranked, truth in pairs) / n_users

    return RankingMetrics(
        precision=mean(precision_at_k),
        recall=mean(recall_at_k),
        ndcg=mean(ndcg_at_k),
        hit_rate=mean(hit_rate_at_k),
        coverage=catalogue_coverage(recommendations, n_items, k),
        n_users=n_users,
    )
