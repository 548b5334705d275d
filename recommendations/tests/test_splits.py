import numpy as np
import pytest

from recommendations.evaluation.datasets import InteractionLog
from recommendations.evaluation.splits import (
    stratified_split,
    stratified_split_mask,
    temporal_split,
)


def make_log(n_users: int = 30, seed: int = 0) -> InteractionLog:
    rng = np.random.default_rng(seed)
    users, items = [], []
    for user in range(n_users):
        chosen = rng.choice(200, size=int(rng.integers(4, 40)), replace=False)
        users += [user] * len(chosen)
        items += chosen.tolist()
    n = len(users)
    return InteractionLog(
        name="synthetic",
        users=np.asarray(users),
        items=np.asarray(items),
        weights=np.ones(n),
        timestamps=rng.uniform(0, 1000, size=n),
    )


def test_stratified_split_keeps_the_ratio_of_each_user():
    log = make_log()

    train, test = stratified_split(log, ratio=0.75, seed=42)

    assert len(train) + len(test) == len(log)
    for user in np.unique(log.users):
        count = int((log.users == user).sum())
        assert int((train.users == user).sum()) == int(np.floor(0.75 * count))


def test_stratified_split_has_no_leakage_and_is_reproducible():
    log = make_log()

    train, test = stratified_split(log, seed=7)
    pairs_train = set(zip(train.users.tolist(), train.items.tolist(), strict=True))
    pairs_test = set(zip(test.users.tolist(), test.items.tolist(), strict=True))

    assert not pairs_train & pairs_test
    assert np.array_equal(
        stratified_split_mask(log.users, seed=7), stratified_split_mask(log.users, seed=7)
    )
    assert not np.array_equal(
        stratified_split_mask(log.users, seed=7), stratified_split_mask(log.users, seed=8)
    )


def test_stratified_split_matches_the_recommenders_recipe():
    # np.random.seed(seed); draw per row; sort by (user, draw); keep rank / count <= ratio
    users = np.array([3, 1, 3, 1, 1, 3, 3, 2])
    draws = np.random.RandomState(42).rand(len(users))
    expected = np.zeros(len(users), dtype=bool)
    for user in np.unique(users):
        rows = np.flatnonzero(users == user)
        ordered = rows[np.argsort(draws[rows])]
        ranks = np.arange(1, len(rows) + 1)
        expected[ordered[ranks / len(rows) <= 0.75]] = True

    assert stratified_split_mask(users, ratio=0.75, seed=42).tolist() == expected.tolist()


def test_temporal_split_cuts_at_time_and_keeps_known_users_only():
    log = InteractionLog(
        name="t",
        users=np.array([1, 1, 2, 2, 3]),
        items=np.array([10, 11, 10, 12, 13]),
        weights=np.ones(5),
        timestamps=np.array([0.0, 90.0, 10.0, 85.0, 95.0]),
    )

    train, test = temporal_split(log, test_fraction=0.2)  # cutoff at t = 76

    assert train.timestamps.max() < 76 <= test.timestamps.min()
    assert sorted(test.users.tolist()) == [1, 2]  # user 3 is new: dropped from test
    assert len(train) == 2 and len(test) == 2


def test_temporal_split_needs_timestamps():
    log = make_log()
    untimed = InteractionLog(name="u", users=log.users, items=log.items, weights=log.weights)

    with pytest.raises(ValueError):
        temporal_split(untimed)
