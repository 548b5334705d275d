"""Item-item collaborative filtering: (optionally re-weighted) cosine, top-N neighbours."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp

from .neighbours import ItemNeighbours, top_n_neighbours

Weighting = Literal["none", "tfidf", "bm25"]


def _user_idf(matrix: sp.csr_matrix) -> np.ndarray:
    """Inverse 'document' frequency of each user: users who touch everything say little."""
    n_items = matrix.shape[1]
    items_per_user = np.diff(matrix.indptr)
    return np.maximum(np.log(n_items / (1.0 + items_per_user)), 0.0)


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
    return top_n_neighbours(cosine_similarity(matrix, shrink=shrink), n_neighbours)
