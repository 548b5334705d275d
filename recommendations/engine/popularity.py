"""Popularity vectors: overall, per segment and trending (time-decayed)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np

from .interactions import Interactions


def item_popularity(interactions: Interactions) -> np.ndarray:
    """Number of distinct users per item; counting users, not weights, stops one
    heavy buyer from making an item look popular."""
    return np.bincount(interactions.matrix.indices, minlength=interactions.n_items).astype(
        np.float64
    )


def segment_popularity(
    interactions: Interactions, user_segments: Mapping[Hashable, Hashable]
) -> dict[Hashable, np.ndarray]:
    """Distinct-user popularity per segment, from a user id -> segment mapping."""
    matrix = interactions.matrix
    segment_of_row = [user_segments.get(user) for user in interactions.user_ids.tolist()]
    by_segment: dict[Hashable, np.ndarray] = {}
    for segment in {s for s in segment_of_row if s is not None}:
        rows = np.fromiter(
            (n for n, s in enumerate(segment_of_row) if s == segment), dtype=np.int64
        )
        by_segment[segment] = np.bincount(
            matrix[rows].indices, minlength=interactions.n_items
        ).astype(np.float64)
    return by_segment


def trending_popularity(
    interactions: Interactions,
    *,
    half_life_seconds: float,
    now: float | None = None,
) -> np.ndarray:
    """Sum of event weights decayed by age: an event ``half_life_seconds`` old counts half.

    ``now`` defaults to the newest event so offline evaluation needs no wall clock.
    """
    stamps = interactions.event_timestamps
    if stamps is None:
        raise ValueError("trending popularity needs event timestamps")
    reference = float(np.nanmax(stamps)) if now is None else now
    age = np.clip(reference - stamps, 0.0, None)
    decay = np.exp2(-age / half_life_seconds)
    return np.bincount(
        interactions.event_items,
        weights=interactions.event_weights * decay,
        minlength=interactions.n_items,
    )
