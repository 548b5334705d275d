"""EASE: closed-form linear item-item model (Steck, WWW 2019)."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .neighbours import ItemNeighbours, dense_neighbours, top_n_neighbours

# The dense n x n inverse costs 8 n^2 bytes and O(n^3) time: 20k items is ~3.2 GB and
# minutes of CPU, so beyond this training uses `TrainingConfig.large_catalog_strategy`.
MAX_DENSE_ITEMS = 20_000


def ease_weights(matrix: sp.spmatrix | np.ndarray, l2: float) -> np.ndarray:
    """Dense EASE weights B = I - P diag(1/diag(P)), P = (X^T X + l2 I)^-1, diag(B) = 0.

    ``l2`` is the ridge penalty lambda; larger values shrink towards popularity-free
    co-occurrence and matter more the denser the data.
    """
    gram = matrix.T @ matrix
    gram = gram.toarray() if sp.issparse(gram) else np.array(gram, dtype=np.float64)
    gram = gram.astype(np.float64)
    gram[np.diag_indices_from(gram)] += l2
    # X^T X + l2 I is symmetric positive definite: Cholesky is faster and stabler than inv.
    precision = scipy.linalg.cho_solve(
        scipy.linalg.cho_factor(gram, lower=True, overwrite_a=True, check_finite=False),
        np.eye(gram.shape[0]),
        overwrite_b=True,
        check_finite=False,
    )
    weights: np.ndarray = -precision / np.diag(precision)
    np.fill_diagonal(weights, 0.0)
    return weights


def train_ease(
    matrix: sp.csr_matrix,
    *,
    l2: float = 500.0,
    n_neighbours: int | None = None,
    max_dense_items: int = MAX_DENSE_ITEMS,
) -> ItemNeighbours:
    """EASE neighbours for serving. Catalogues above ``max_dense_items`` are refused
    (`training.resolve_strategy_weights` trains a scalable strategy for them instead).

    ``n_neighbours=None`` keeps the complete dense matrix (negative weights included),
    otherwise the top-N positive weights per item are kept.
    """
    n_items = matrix.shape[1]
    if n_items > max_dense_items:
        raise ValueError(
            f"EASE needs a dense {n_items} x {n_items} inverse; the limit is "
            f"{max_dense_items} items"
        )
    weights = ease_weights(matrix, l2)
    if n_neighbours is None or n_neighbours >= n_items - 1:
        return dense_neighbours(weights)
    return top_n_neighbours(weights, n_neighbours)
