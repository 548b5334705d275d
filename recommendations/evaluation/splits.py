"""Train/test splits: per-user stratified random (MovieLens) and global temporal."""

from __future__ import annotations

import numpy as np

from .datasets import InteractionLog


def stratified_split_mask(users: np.ndarray, *, ratio: float = 0.75, seed: int = 42) -> np.ndarray:
    """Boolean train mask: each user's events shuffled, those with rank / count <= ratio kept.

    Reproduces Microsoft Recommenders ``python_stratified_split`` (random, by user;
    ``recommenders/datasets/python_splitters.py``): one uniform draw per row after
    ``np.random.seed(seed)``, rows sorted by (user, draw), train = rank / count <= ratio.
    With rows in ``u.data`` file order this is the split of their MovieLens notebooks.
    """
    # The legacy RandomState stream is what np.random.seed + np.random.rand produce.
    draws = np.random.RandomState(seed).rand(len(users))
    order = np.lexsort((draws, users))
    sorted_users = users[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(users)])
    rank = np.arange(len(users)) - np.repeat(starts, counts) + 1
    keep_sorted = rank / np.repeat(counts, counts) <= ratio
    mask = np.zeros(len(users), dtype=bool)
    mask[order] = keep_sorted
    return mask


def stratified_split(
    log: InteractionLog, *, ratio: float = 0.75, seed: int = 42
) -> tuple[InteractionLog, InteractionLog]:
    """Per-user random split: every user keeps ``ratio`` of their events in train."""
    mask = stratified_split_mask(log.users, ratio=ratio, seed=seed)
    return log.subset(mask), log.subset(~mask)


def temporal_split(
    log: InteractionLog, *, test_fraction: float = 0.2
) -> tuple[InteractionLog, InteractionLog]:
    """Global time cutoff: events in the last ``test_fraction`` of the time span are test.

    Test keeps only users who also appear in train, since a model can only be judged on
    users it could have known; brand-new users are the popularity fallback's job.
    """
    if log.timestamps is None:
        raise ValueError("a temporal split needs timestamps")
    start, end = np.nanmin(log.timestamps), np.nanmax(log.timestamps)
    cutoff = start + (1.0 - test_fraction) * (end - start)
    in_train = log.timestamps < cutoff
    test_rows = ~in_train & np.isin(log.users, np.unique(log.users[in_train]))
    return log.subset(in_train), log.subset(test_rows)
