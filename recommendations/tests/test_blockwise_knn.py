"""Blockwise top-N cosine neighbours (`item_knn.cosine_top_n`): the same lists as the
full item gram, whatever the block size, with memory bounded by the block budget."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.item_knn import (
    _blocks,
    bm25_weight,
    cosine_similarity,
    cosine_top_n,
    train_item_knn,
)
from recommendations.engine.neighbours import sparse_top_n_neighbours, top_n_neighbours


def random_interactions(seed: int, users: int = 120, items: int = 60, density: float = 0.12):
    """Real-valued weights: no two similarities tie, so the top-N lists are unique."""
    rng = np.random.default_rng(seed)
    matrix = sp.random(users, items, density=density, random_state=rng, format="csr")
    matrix.data = rng.random(matrix.nnz) + 0.1
    return matrix


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("block_products", [1, 40, 400, 10**9])
@pytest.mark.parametrize("shrink", [0.0, 5.0])
def test_blockwise_lists_equal_the_full_gram_lists(seed, block_products, shrink):
    matrix = random_interactions(seed)

    dense = top_n_neighbours(cosine_similarity(matrix, shrink=shrink), 7)
    blockwise = cosine_top_n(matrix, 7, shrink=shrink, block_products=block_products)

    np.testing.assert_array_equal(blockwise.indices, dense.indices)
    np.testing.assert_allclose(blockwise.weights, dense.weights, rtol=1e-6, atol=0)


def test_ties_are_broken_by_the_lower_item_index():
    # Binary data: many equal cosines. Reference: the full gram sorted by (-value, index).
    rng = np.random.default_rng(7)
    matrix = sp.csr_matrix((rng.random((40, 25)) < 0.2).astype(np.float64))
    gram = cosine_similarity(matrix).toarray()
    np.fill_diagonal(gram, 0.0)

    blockwise = cosine_top_n(matrix, 5, block_products=30)

    for item in range(25):
        row = gram[item]
        expected = [j for j in np.lexsort((np.arange(25), -row)) if row[j] > 0][:5]
        kept = blockwise.indices[item][blockwise.indices[item] < 25]
        assert kept.tolist() == expected
        np.testing.assert_allclose(blockwise.weights[item][: len(kept)], row[expected], rtol=1e-6)


def test_items_with_few_neighbours_are_padded_with_the_sentinel():
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]], dtype=float))

    neighbours = cosine_top_n(matrix, 3)

    assert neighbours.indices[0].tolist() == [1, 4, 4]  # item 0 co-occurs only with 1
    assert neighbours.indices[2].tolist() == [4, 4, 4]  # nobody touched item 2
    assert neighbours.indices[3].tolist() == [4, 4, 4]
    assert neighbours.weights[2].tolist() == [0.0, 0.0, 0.0]


def test_blocks_stay_within_the_budget_unless_one_item_exceeds_it():
    cost = np.array([5.0, 5.0, 30.0, 1.0, 1.0, 1.0, 8.0])

    blocks = _blocks(cost, 10.0)

    assert blocks == [(0, 2), (2, 3), (3, 6), (6, 7)]


def test_bm25_item_knn_is_the_blockwise_cosine_of_the_bm25_matrix():
    matrix = random_interactions(11)

    trained = train_item_knn(matrix, n_neighbours=6, shrink=2.0, weighting="bm25")
    reference = top_n_neighbours(cosine_similarity(bm25_weight(matrix), shrink=2.0), 6)

    np.testing.assert_array_equal(trained.indices, reference.indices)
    np.testing.assert_allclose(trained.weights, reference.weights, rtol=1e-6)


def test_sparse_top_n_equals_the_dense_top_n():
    # Co-purchase counts (bought together) are a sparse item x item matrix.
    rng = np.random.default_rng(5)
    similarity = sp.random(50, 50, density=0.2, random_state=rng, format="csr")
    similarity.data = rng.random(similarity.nnz) - 0.3  # negatives are never neighbours

    sparse = sparse_top_n_neighbours(similarity, 4)
    dense = top_n_neighbours(similarity.toarray(), 4)

    np.testing.assert_array_equal(sparse.indices, dense.indices)
    np.testing.assert_allclose(sparse.weights, dense.weights, rtol=1e-6)
