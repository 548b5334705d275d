import numpy as np
import pytest

from recommendations.engine import build_interactions
from recommendations.engine.bought_together import co_purchase_counts, train_bought_together
from recommendations.engine.popularity import (
    item_popularity,
    segment_popularity,
    trending_popularity,
)

DAY = 86_400.0


def test_popularity_counts_distinct_users_overall_and_per_segment():
    interactions = build_interactions(
        [("u1", "a", 5), ("u1", "a", 5), ("u2", "a", 1), ("u2", "b", 1), ("u3", "b", 1)]
    )
    a, b = interactions.item_index["a"], interactions.item_index["b"]

    overall = item_popularity(interactions)
    by_segment = segment_popularity(interactions, {"u1": "GB", "u2": "GB", "u3": "FR"})

    assert overall[a] == 2 and overall[b] == 2
    assert by_segment["GB"][a] == 2 and by_segment["GB"][b] == 1
    assert by_segment["FR"][a] == 0 and by_segment["FR"][b] == 1


def test_trending_halves_per_half_life():
    now = 100 * DAY
    interactions = build_interactions(
        [("u1", "old", 1, now - 14 * DAY), ("u2", "new", 1, now), ("u3", "old", 1, now - 28 * DAY)]
    )

    trending = trending_popularity(interactions, half_life_seconds=14 * DAY)

    assert trending[interactions.item_index["new"]] == pytest.approx(1.0)
    assert trending[interactions.item_index["old"]] == pytest.approx(0.5 + 0.25)


def test_co_purchase_counts_pairs_once_per_basket():
    baskets = ["o1", "o1", "o1", "o2", "o2", "o3", "o3"]
    items = [0, 1, 1, 0, 1, 0, 2]

    counts, per_item, n_baskets = co_purchase_counts(baskets, items, n_items=3)

    assert counts.toarray().tolist() == [[0, 2, 1], [2, 0, 0], [1, 0, 0]]
    assert per_item.tolist() == [3, 2, 1]
    assert n_baskets == 3


def test_bought_together_normalisations():
    baskets = ["o1", "o1", "o2", "o2", "o3", "o3", "o4"]
    items = [0, 1, 0, 1, 0, 2, 2]
    # n0 = 3, n1 = 2, n2 = 2, c01 = 2, c02 = 1, N = 4

    cosine = train_bought_together(baskets, items, 3, min_count=1)
    lift = train_bought_together(baskets, items, 3, min_count=1, normalisation="lift")
    jaccard = train_bought_together(baskets, items, 3, min_count=2, normalisation="jaccard")

    assert cosine.to_sparse()[0, 1] == pytest.approx(2 / np.sqrt(6))
    assert lift.to_sparse()[0, 2] == pytest.approx(1 * 4 / (3 * 2))
    assert jaccard.to_sparse()[0, 1] == pytest.approx(2 / (3 + 2 - 2))
    assert jaccard.to_sparse()[0, 2] == 0  # below min_count
