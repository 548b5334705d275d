"""ALS (implicit) behind the engine's scoring interface: item factors, fold-in of a
history at request time, cold visitors, fixed-seed training."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import Interactions, TrainingConfig, train_model
from recommendations.engine.als import ItemFactors, train_als


def two_tastes(seed: int = 0) -> sp.csr_matrix:
    """60 users x 20 items: users 0-29 use items 0-9, users 30-59 items 10-19."""
    rng = np.random.default_rng(seed)
    dense = np.zeros((60, 20))
    dense[:30, :10] = rng.random((30, 10)) < 0.8
    dense[30:, 10:] = rng.random((30, 10)) < 0.8
    return sp.csr_matrix(dense)


@pytest.fixture(scope="module")
def factors() -> ItemFactors:
    return train_als(two_tastes(), factors=4, regularization=1.0, alpha=5.0, iterations=10)


def test_a_history_from_one_taste_scores_that_taste_first(factors):
    scores = factors.score(np.array([0, 1, 2]))

    ranked = np.argsort(-scores)
    assert set(ranked[:10].tolist()) == set(range(10))
    assert scores.shape == (20,)


def test_fold_in_is_the_als_least_squares_solution(factors):
    history, strengths = np.array([3, 5, 11]), np.array([1.0, 2.0, 1.0])
    y = factors.factors.astype(np.float64)
    confidence = np.zeros(20)
    confidence[history] = factors.alpha * strengths
    preference = (confidence > 0).astype(float)
    # (Y^T C Y + reg I) x = Y^T C p with C = diag(1 + c) - diag(p) (1 where unseen).
    c_full = np.where(preference > 0, confidence, 1.0)
    lhs = y.T @ (y * c_full[:, None]) + factors.regularization * np.eye(y.shape[1])
    expected = np.linalg.solve(lhs, y.T @ (c_full * preference))

    np.testing.assert_allclose(factors.user_vector(history, strengths), expected, rtol=1e-5)


def test_training_is_reproducible_with_the_seed():
    first = train_als(two_tastes(), factors=4, iterations=3, seed=5, threads=1)
    second = train_als(two_tastes(), factors=4, iterations=3, seed=5, threads=1)

    np.testing.assert_array_equal(first.factors, second.factors)


def test_of_item_excludes_the_item_and_keeps_positive_scores(factors):
    items, scores = factors.of_item(4)

    assert 4 not in items.tolist()
    assert np.all(scores > 0) and np.all(np.diff(scores) <= 0)
    assert items[0] < 10  # the best is of the same taste


def test_the_model_recommends_valid_unseen_items_and_popularity_for_cold_visitors():
    matrix = two_tastes(1)
    users, items = matrix.nonzero()
    interactions = Interactions.from_arrays(users, [f"p{i}" for i in items])
    config = TrainingConfig(strategy_weights={"als": 1.0}, als_factors=8, als_iterations=5)

    model = train_model(interactions, config)
    personal = model.recommend(["p0", "p1"], k=5)
    cold = model.recommend([], k=5)
    unknown = model.recommend(["not-in-the-catalogue"], k=5)

    assert isinstance(model.neighbours["als"], ItemFactors)
    assert len(personal) == 5 and not {"p0", "p1"} & set(personal)
    assert set(personal) <= set(interactions.item_ids.tolist())
    assert cold == unknown
    cold_popularity = model.popularity[[interactions.item_index[i] for i in cold]]
    np.testing.assert_array_equal(cold_popularity, np.sort(model.popularity)[::-1][:5])
