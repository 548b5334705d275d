"""Context boosts: per-item multipliers from the request's country, device and season.

Pure numpy, no Django, so the formulas are easy to test. The multipliers feed
`TrainedModel.recommend_indices(boosts=...)` (and the item-to-item rankings), where an
item's score is multiplied by its boost (divided, for negative EASE scores).

- Country and device: how much more an item is bought/viewed by visitors in that context
  than overall. With both popularity vectors scaled to a maximum of 1,
  ``m_i = clip(((p_ctx_i + s) / (p_all_i + s)) ** strength, 1 / cap, cap)``; the smoothing
  ``s`` keeps rarely seen items near 1, ``cap`` bounds the effect. Contexts with fewer
  than ``min_users`` distinct visitors at training time have no vector, hence no boost.
- Season: items whose category starts with one of a season's prefixes are multiplied by
  ``boost`` in the season's months and by ``off_season`` outside them (Christmas
  decorations rise in November and sink in June).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


def context_key(dimension: str, value: str) -> str:
    """Key of a context popularity vector in `TrainedModel.segment_popularity`."""
    return f"{dimension}:{value}"


def grouped_event_popularity(
    event_users: np.ndarray,
    event_items: np.ndarray,
    event_groups: Sequence[Hashable | None],
    n_items: int,
    *,
    min_users: int,
) -> dict[Hashable, np.ndarray]:
    """Distinct visitors per item among the events of each group (a country, a device).

    ``event_*`` are parallel: user code, item index and group value of every event
    (None: unknown). Groups with fewer than ``min_users`` distinct visitors are left out.
    """
    groups = np.asarray([g if g is not None else "" for g in event_groups], dtype=object)
    users = np.asarray(event_users, dtype=np.int64)
    items = np.asarray(event_items, dtype=np.int64)
    result: dict[Hashable, np.ndarray] = {}
    for group in set(groups.tolist()) - {""}:
        rows = groups == group
        if len(np.unique(users[rows])) < min_users:
            continue
        pairs = np.unique(users[rows] * n_items + items[rows])
        result[group] = np.bincount(pairs % n_items, minlength=n_items).astype(np.float32)
    return result


def member_popularity(
    matrix: sp.csr_matrix,
    user_index: Mapping[Hashable, int],
    members: Mapping[Hashable, Iterable[Hashable]],
    *,
    min_users: int,
) -> dict[Hashable, np.ndarray]:
    """Distinct visitors per item among each group's members (a visitor may be in many
    segments, unlike `engine.popularity.segment_popularity`'s one segment per user)."""
    result: dict[Hashable, np.ndarray] = {}
    for group, users in members.items():
        rows = sorted({user_index[u] for u in users if u in user_index})
        if len(rows) < min_users:
            continue
        result[group] = np.bincount(matrix[rows].indices, minlength=matrix.shape[1]).astype(
            np.float32
        )
    return result


def relative_popularity_boost(
    context_popularity: np.ndarray,
    overall_popularity: np.ndarray,
    *,
    smoothing: float = 0.1,
    strength: float = 0.5,
    cap: float = 2.0,
) -> np.ndarray:
    """Multipliers > 1 for items more popular in the context than overall (see module)."""
    ratio = (context_popularity + smoothing) / (overall_popularity + smoothing)
    return np.clip(ratio**strength, 1.0 / cap, cap)


@dataclass(frozen=True)
class SeasonRule:
    name: str
    months: frozenset[int]
    categories: tuple[str, ...]
    boost: float = 1.5
    off_season: float = 0.5

    @classmethod
    def from_setting(cls, name: str, spec: Mapping) -> SeasonRule:
        return cls(
            name=name,
            months=frozenset(int(m) for m in spec["months"]),
            categories=tuple(spec["categories"]),
            boost=float(spec.get("boost", 1.5)),
            off_season=float(spec.get("off_season", 0.5)),
        )


def season_boost(
    categories: Sequence[str], month: int, rules: Sequence[SeasonRule]
) -> np.ndarray | None:
    """Per-item season multipliers for items with these categories, or None if no rule
    touches any item."""
    boost = np.ones(len(categories))
    touched = False
    for rule in rules:
        factor = rule.boost if month in rule.months else rule.off_season
        if factor == 1.0:
            continue
        prefixes = rule.categories
        hits = np.fromiter(
            (bool(c) and c.startswith(prefixes) for c in categories),
            dtype=bool,
            count=len(categories),
        )
        if hits.any():
            boost[hits] *= factor
            touched = True
    return boost if touched else None


def combine(*boosts: np.ndarray | None) -> np.ndarray | None:
    """The product of the given multiplier vectors (None means "no boost")."""
    present = [b for b in boosts if b is not None]
    if not present:
        return None
    result = np.array(present[0], dtype=np.float64)
    for boost in present[1:]:
        result = result * boost
    return result
