"""User x item interaction matrices built from event triples."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

# Implicit-feedback weights used when the caller passes event names instead of numbers.
DEFAULT_EVENT_WEIGHTS: Mapping[str, float] = {"view": 1.0, "cart": 3.0, "purchase": 5.0}


@dataclass(frozen=True)
class Interactions:
    """A CSR user x item matrix plus the ids behind its rows and columns.

    ``matrix[u, i]`` is the summed weight of every event of user ``u`` on item ``i``.
    The per-event arrays (``event_*``) are kept for time-aware statistics such as trending.
    """

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    user_index: dict[Hashable, int]
    item_index: dict[Hashable, int]
    event_users: np.ndarray
    event_items: np.ndarray
    event_weights: np.ndarray
    event_timestamps: np.ndarray | None = None

    @property
    def n_users(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.matrix.shape[1])

    def binary(self) -> sp.csr_matrix:
        """The matrix with every stored weight set to 1 (for models that ignore strength)."""
        binary = self.matrix.copy()
        binary.data = np.ones_like(binary.data)
        return binary

    @classmethod
    def from_arrays(
        cls,
        users: Sequence[Hashable] | np.ndarray,
        items: Sequence[Hashable] | np.ndarray,
        weights: Sequence[float] | np.ndarray | None = None,
        timestamps: Sequence[float] | np.ndarray | None = None,
        *,
        known_items: Iterable[Hashable] | None = None,
    ) -> Interactions:
        """Build from parallel arrays; ``known_items`` adds catalogue items with no events.

        Items are indexed in sorted order so two builds over the same data agree.
        """
        users = np.asarray(users)
        items = np.asarray(items)
        if weights is None:
            weights = np.ones(len(users), dtype=np.float32)
        weights = np.asarray(weights, dtype=np.float32)
        if not len(users) == len(items) == len(weights):
            raise ValueError("users, items and weights must have the same length")
        user_ids, user_codes = np.unique(users, return_inverse=True)
        if known_items is not None:
            extra = np.asarray(list(known_items))
            item_ids = np.unique(np.concatenate([items, extra]) if len(items) else extra)
            item_codes = np.searchsorted(item_ids, items)
        else:
            item_ids, item_codes = np.unique(items, return_inverse=True)
        matrix = sp.csr_matrix(
            (weights, (user_codes, item_codes)),
            shape=(len(user_ids), len(item_ids)),
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        stamps = None if timestamps is None else np.asarray(timestamps, dtype=np.float64)
        return cls(
            matrix=matrix,
            user_ids=user_ids,
            item_ids=item_ids,
            user_index={uid: n for n, uid in enumerate(user_ids.tolist())},
            item_index={iid: n for n, iid in enumerate(item_ids.tolist())},
            event_users=user_codes.astype(np.int32),
            event_items=item_codes.astype(np.int32),
            event_weights=weights,
            event_timestamps=stamps,
        )


def build_interactions(
    events: Iterable[tuple[Any, ...]],
    *,
    event_weights: Mapping[str, float] | None = None,
    known_items: Iterable[Hashable] | None = None,
) -> Interactions:
    """Build interactions from ``(user, item, weight_or_event[, timestamp])`` tuples.

    The third field is either a number or an event name looked up in ``event_weights``
    (default view 1, cart 3, purchase 5), so callers can pass rows straight from an event
    log. Timestamps are epoch seconds or aware datetimes. Unknown event names raise
    ``KeyError`` rather than silently counting as zero.
    """
    weights_by_event = DEFAULT_EVENT_WEIGHTS if event_weights is None else event_weights
    users: list[Hashable] = []
    items: list[Hashable] = []
    weights: list[float] = []
    timestamps: list[float] = []
    for event in events:
        user, item, weight_or_event = event[0], event[1], event[2]
        users.append(user)
        items.append(item)
        if isinstance(weight_or_event, str):
            weights.append(float(weights_by_event[weight_or_event]))
        else:
            weights.append(float(weight_or_event))
        if len(event) > 3:
            stamp = event[3]
            timestamps.append(stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp))
    if timestamps and len(timestamps) != len(users):
        raise ValueError("either every event has a timestamp or none has")
    return Interactions.from_arrays(
        users,
        items,
        weights,
        timestamps or None,
        known_items=known_items,
    )
