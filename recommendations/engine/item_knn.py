"""Item-item collaborative filtering: (optionally re-weighted) cosine, top-N neighbours.

The item x item similarity is never held whole: `cosine_top_n` multiplies a block of
items by the matrix at a time and keeps each row's top N, so memory is
O(items x N + one block) instead of the full gram (more than 16 GB at 200,000 items).
`cosine_similarity` builds the full gram; it is the reference the blocks are tested
against and what the offline scale benchmark compares with.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp

from .neighbours import ItemNeighbours, top_n_of_sparse_rows

# Multiply-adds of one block product (rows x their users' items). A block's output has at
# most this many entries (12 bytes each, times a few temporaries), about 0.5 GB at most.
BLOCK_PRODUCTS = 20_000_000

Weighting = Literal["none", "tfidf", "bm25"]


def _user_idf(matrix: sp.csr_matrix) -> np.ndarray:
    """Inverse 'document' frequency of each user: users who touch everything say little."""
    n_items = matrix.shape[1]
    items_per_user = np.diff(matrix.indptr)
    idf: np.ndarray = np.maximum(np.log(n_items / (1.0 + items_per_user)), 0.0)
    return idf


def tfidf_weight(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Scale each user's row by that user's IDF (items are documents, users are terms)."""
    weighted = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    weighted.data *= np.repeat(_user_idf(weighted), np.diff(weighted.indptr))
    return weighted


def bm25_weight(matrix: sp.csr_matrix, *, k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """Okapi BM25 over the item x user view: saturates repeated events, damps heavy users
    and normalises by item popularity (item length), as in Ferrari Dacrema et al. 2019."""
    weighted = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    item_length = np.asarray(weighted.sum(axis=0)).ravel()
    average_length = item_length.mean() if item_length.size else 1.0
    length_norm = (1.0 - b) + b * item_length / max(average_length, 1e-12)
    tf = weighted.data
    user_of_entry = np.repeat(np.arange(weighted.shape[0]), np.diff(weighted.indptr))
    idf = _user_idf(weighted)[user_of_entry]
    weighted.data = tf * (k1 + 1.0) / (k1 * length_norm[weighted.indices] + tf) * idf
    return weighted


def cosine_similarity(matrix: sp.csr_matrix, *, shrink: float = 0.0) -> sp.csr_matrix:
    """Item x item cosine of the columns of ``matrix``; ``shrink`` penalises pairs whose
    similarity rests on few co-occurrences (sim = dot / (|a||b| + shrink))."""
    columns = sp.csc_matrix(matrix, dtype=np.float64)
    gram = sp.csr_matrix(columns.T @ columns)
    norms = np.sqrt(gram.diagonal())
    rows = np.repeat(np.arange(gram.shape[0]), np.diff(gram.indptr))
    denominator = norms[rows] * norms[gram.indices] + shrink
    gram.data = np.divide(
        gram.data, denominator, out=np.zeros_like(gram.data), where=denominator > 0
    )
    gram.setdiag(0.0)
    gram.eliminate_zeros()
    return gram


def cosine_top_n(
    matrix: sp.spmatrix,
    n_neighbours: int,
    *,
    shrink: float = 0.0,
    block_products: int = BLOCK_PRODUCTS,
) -> ItemNeighbours:
    """The ``n_neighbours`` most cosine-similar columns of each column of ``matrix``
    (positive similarities only, best first, ties by lower index), computed block by
    block: the same lists as ``top_n_neighbours(cosine_similarity(matrix))``.

    Blocks are cut by their cost (the number of multiply-adds of ``X_B^T X``, which bounds
    the entries of the block's product), so a block of bestsellers is a few rows and a
    block of long-tail items thousands.
    """
    columns = sp.csc_matrix(matrix, dtype=np.float64)
    n_items = columns.shape[1]
    width = max(0, min(n_neighbours, n_items - 1))
    indices = np.full((n_items, width), n_items, dtype=np.int32)
    weights = np.zeros((n_items, width), dtype=np.float32)
    if width == 0 or columns.nnz == 0:
        return ItemNeighbours(weights=weights, indices=indices, n_items=n_items)
    by_user = columns.tocsr()
    by_item = columns.T.tocsr()  # item x user, the rows of X^T
    norms = np.sqrt(np.asarray(columns.multiply(columns).sum(axis=0)).ravel())
    cost = by_item @ np.diff(by_user.indptr).astype(np.float64)
    for start, stop in _blocks(cost, block_products):
        block = sp.csr_matrix(by_item[start:stop] @ by_user)
        block.sort_indices()
        rows = np.repeat(np.arange(start, stop), np.diff(block.indptr))
        denominator = norms[rows] * norms[block.indices] + shrink
        similarity = np.divide(
            block.data, denominator, out=np.zeros_like(block.data), where=denominator > 0
        )
        block.data = similarity
        top_n_of_sparse_rows(block, width, indices[start:stop], weights[start:stop], start)
    return ItemNeighbours(weights=weights, indices=indices, n_items=n_items)


def _blocks(cost: np.ndarray, budget: float) -> list[tuple[int, int]]:
    """Consecutive [start, stop) ranges whose summed cost stays within ``budget`` (a
    single row above the budget is a block on its own)."""
    cumulative = np.cumsum(cost)
    blocks, start = [], 0
    while start < len(cost):
        before = cumulative[start - 1] if start else 0.0
        stop = int(np.searchsorted(cumulative, before + budget, side="right"))
        stop = max(stop, start + 1)
        blocks.append((start, stop))
        start = stop
    return blocks


def train_item_knn(
    matrix: sp.csr_matrix,
    *,
    n_neighbours: int = 100,
    shrink: float = 0.0,
    weighting: Weighting = "none",
) -> ItemNeighbours:
    """Top-N cosine neighbours per item from a user x item interaction matrix."""
    if weighting == "bm25":
        matrix = bm25_weight(matrix)
    elif weighting == "tfidf":
        matrix = tfidf_weight(matrix)
    elif weighting != "none":
        raise ValueError(f"unknown weighting {weighting!r}")
    return cosine_top_n(matrix, n_neighbours, shrink=shrink)
