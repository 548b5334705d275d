import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.ease import ease_weights, train_ease

MATRIX = np.array(
    [
        [1, 1, 0, 0, 1],
        [0, 1, 1, 0, 0],
        [1, 0, 1, 1, 0],
        [1, 1, 1, 0, 1],
        [0, 0, 1, 1, 1],
        [1, 1, 0, 1, 0],
    ],
    dtype=np.float64,
)


def direct_ease(matrix: np.ndarray, l2: float) -> np.ndarray:
    precision = np.linalg.inv(matrix.T @ matrix + l2 * np.eye(matrix.shape[1]))
    weights = np.eye(matrix.shape[1]) - precision / np.diag(precision)
    np.fill_diagonal(weights, 0.0)
    return weights


def test_ease_matches_the_closed_form():
    weights = ease_weights(sp.csr_matrix(MATRIX), l2=2.0)

    np.testing.assert_allclose(weights, direct_ease(MATRIX, 2.0), atol=1e-10)
    assert np.all(np.diag(weights) == 0)


def test_ease_with_zero_diagonal_is_the_constrained_ridge_solution():
    # Stationarity of ||X - XB||^2 + l2||B||^2 s.t. diag(B)=0: the gradient
    # (X^T X + l2 I) B - X^T X must be diagonal (the Lagrange multipliers).
    weights = ease_weights(MATRIX, l2=2.0)
    gram = MATRIX.T @ MATRIX
    gradient = (gram + 2.0 * np.eye(5)) @ weights - gram

    off_diagonal = gradient - np.diag(np.diag(gradient))
    np.testing.assert_allclose(off_diagonal, 0.0, atol=1e-10)


def test_dense_serving_keeps_every_weight_and_truncated_keeps_top_positive():
    dense = train_ease(sp.csr_matrix(MATRIX), l2=2.0)
    truncated = train_ease(sp.csr_matrix(MATRIX), l2=2.0, n_neighbours=2)
    expected = direct_ease(MATRIX, 2.0)

    np.testing.assert_allclose(
        dense.score(np.array([0, 1])), expected[[0, 1]].sum(axis=0), atol=1e-6
    )
    for item in range(5):
        row = expected[item].copy()
        row[item] = -np.inf
        best = np.argsort(-row)[:2]
        best = best[row[best] > 0]
        assert truncated.of_item(item)[0].tolist() == best.tolist()


def test_a_catalogue_above_the_dense_limit_is_refused():
    with pytest.raises(ValueError, match="limit is 4 items"):
        train_ease(sp.csr_matrix(MATRIX), l2=2.0, n_neighbours=3, max_dense_items=4)
