import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.item_knn import (
    bm25_weight,
    cosine_similarity,
    tfidf_weight,
    train_item_knn,
)
from recommendations.engine.neighbours import for_serving, top_n_neighbours

# users x items; columns: i0=[0,0,1,1] i1=[1,0,1,1] i2=[1,1,0,1] i3=[0,1,0,1]
# norms: |i0|=sqrt2 |i1|=sqrt3 |i2|=sqrt3 |i3|=sqrt2
# cos(i0,i1)=2/sqrt6=0.8165  cos(i0,i2)=1/sqrt6=0.4082  cos(i0,i3)=1/2=0.5
# cos(i1,i2)=2/3=0.6667      cos(i1,i3)=1/sqrt6=0.4082  cos(i2,i3)=2/sqrt6=0.8165
MATRIX = sp.csr_matrix(
    np.array(
        [
            [0, 1, 1, 0],
            [0, 0, 1, 1],
            [1, 1, 0, 0],
            [1, 1, 1, 1],
        ],
        dtype=np.float32,
    )
)
R6 = math.sqrt(6)
EXPECTED_COSINE = np.array(
    [
        [0, 2 / R6, 1 / R6, 0.5],
        [2 / R6, 0, 2 / 3, 1 / R6],
        [1 / R6, 2 / 3, 0, 2 / R6],
        [0.5, 1 / R6, 2 / R6, 0],
    ]
)


def test_cosine_matches_hand_computed_values():
    similarity = cosine_similarity(MATRIX).toarray()

    np.testing.assert_allclose(similarity, EXPECTED_COSINE, atol=1e-6)


def test_shrink_divides_by_norm_product_plus_shrink():
    similarity = cosine_similarity(MATRIX, shrink=1.0).toarray()

    # cos(i0,i1) = 2 / (sqrt2 * sqrt3 + 1)
    assert similarity[0, 1] == pytest.approx(2 / (R6 + 1))


def test_neighbours_are_ordered_best_first_and_exclude_self():
    neighbours = train_item_knn(MATRIX, n_neighbours=3)

    assert neighbours.indices.tolist() == [[1, 3, 2], [0, 2, 3], [3, 1, 0], [2, 0, 1]]
    np.testing.assert_allclose(neighbours.weights[0], [2 / R6, 0.5, 1 / R6], atol=1e-6)


def test_top_n_truncates_and_pads_with_sentinel():
    neighbours = train_item_knn(MATRIX, n_neighbours=1)

    assert neighbours.indices[:, 0].tolist() == [1, 0, 3, 2]
    sparse = top_n_neighbours(np.array([[0.0, 0.0], [0.5, 0.0]]), 1)
    assert sparse.indices.tolist() == [[2], [0]]  # item 0 has no positive neighbour
    assert sparse.weights.tolist() == [[0.0], [0.5]]


def test_user_scores_sum_neighbour_weights_of_history():
    neighbours = train_item_knn(MATRIX, n_neighbours=3)

    scores = neighbours.score(np.array([0, 1]))

    # item 2: cos(i0,i2) + cos(i1,i2); item 3: cos(i0,i3) + cos(i1,i3)
    assert scores[2] == pytest.approx(1 / R6 + 2 / 3, abs=1e-6)
    assert scores[3] == pytest.approx(0.5 + 1 / R6, abs=1e-6)


def test_reweightings_keep_the_sparsity_pattern():
    for weighted in (bm25_weight(MATRIX), tfidf_weight(MATRIX)):
        assert weighted.shape == MATRIX.shape
        assert (weighted.toarray() > 0).sum() <= MATRIX.nnz
    # BM25 on the same data gives valid cosines in [0, 1].
    similarity = train_item_knn(MATRIX, n_neighbours=3, weighting="bm25")
    assert ((similarity.weights >= 0) & (similarity.weights <= 1 + 1e-6)).all()


def test_unknown_weighting_is_rejected():
    with pytest.raises(ValueError):
        train_item_knn(MATRIX, weighting="nope")


def test_dense_serving_layout_scores_like_the_padded_lists():
    padded = train_item_knn(MATRIX, n_neighbours=2)
    dense = for_serving(padded)

    assert dense.indices is None
    history = np.array([0, 3])
    np.testing.assert_allclose(dense.score(history), padded.score(history), atol=1e-6)
    assert dense.of_item(0)[0].tolist() == padded.of_item(0)[0].tolist()
