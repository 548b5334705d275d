"""'Bought together': item pairs that co-occur in the same order/basket."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import scipy.sparse as sp

from .neighbours import ItemNeighbours, sparse_top_n_neighbours

Normalisation = Literal["cosine", "lift", "jaccard"]


def co_purchase_counts(
    baskets: Sequence[Hashable] | np.ndarray,
    items: Sequence[int] | np.ndarray,
    n_items: int,
) -> tuple[sp.csr_matrix, np.ndarray, int]:
    """Item x item count of baskets containing both items, per-item basket counts and
    the number of baskets. ``items`` are item indices, parallel to ``baskets``."""
    _, basket_codes = np.unique(np.asarray(baskets), return_inverse=True)
    n_baskets = int(basket_codes.max()) + 1 if len(basket_codes) else 0
    incidence = sp.csr_matrix(
        (np.ones(len(basket_codes)), (basket_codes, np.asarray(items))),
        shape=(n_baskets, n_items),
    )
    incidence.sum_duplicates()
    incidence.data = np.ones_like(incidence.data)  # an item twice in a basket counts once
    counts = sp.csr_matrix(incidence.T @ incidence)
    item_baskets = counts.diagonal().copy()
    counts.setdiag(0.0)
    counts.eliminate_zeros()
    return counts, item_baskets, n_baskets


def train_bought_together(
    baskets: Sequence[Hashable] | np.ndarray,
    items: Sequence[int] | np.ndarray,
    n_items: int,
    *,
    n_neighbours: int = 50,
    normalisation: Normalisation = "cosine",
    min_count: int = 2,
) -> ItemNeighbours:
    """Top-N co-purchased items per item.

    Raw counts favour bestsellers, so they are normalised: cosine c/sqrt(n_i n_j),
    lift c N/(n_i n_j) (favours rare pairs) or Jaccard c/(n_i + n_j - c). Pairs seen in
    fewer than ``min_count`` baskets are dropped as noise.
    """
    counts, item_baskets, n_baskets = co_purchase_counts(baskets, items, n_items)
    counts.data[counts.data < min_count] = 0.0
    counts.eliminate_zeros()
    rows = np.repeat(np.arange(n_items), np.diff(counts.indptr))
    n_i, n_j, both = item_baskets[rows], item_baskets[counts.indices], counts.data
    if normalisation == "cosine":
        counts.data = both / np.sqrt(n_i * n_j)
    elif normalisation == "lift":
        counts.data = both * n_baskets / (n_i * n_j)
    elif normalisation == "jaccard":
        counts.data = both / (n_i + n_j - both)
    else:
        raise ValueError(f"unknown normalisation {normalisation!r}")
    return sparse_top_n_neighbours(counts, n_neighbours)
