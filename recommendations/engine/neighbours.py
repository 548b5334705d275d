"""Top-N item neighbour lists: the serving form of every item-to-item strategy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

# Rows converted to dense at a time while extracting neighbours; bounds memory to
# BLOCK_ROWS x n_items floats (512 x 20k x 4 bytes = 40 MB).
BLOCK_ROWS = 512
# Summing contiguous dense rows beats scattering with bincount once the lists cover a
# quarter of the catalogue; the dense copy costs 4 n^2 bytes (64 MB at 4096 items).
DENSE_SERVING_MAX_ITEMS = 4096
DENSE_SERVING_MIN_FILL = 0.25


@dataclass(frozen=True)
class ItemNeighbours:
    """For each item, its neighbours and their weights, as fixed-width arrays.

    ``indices[i]`` holds up to N neighbour indices of item ``i``, padded with the
    sentinel ``n_items`` (weight 0), so a user's scores are one ``np.bincount``.
    When ``indices`` is ``None`` the lists are complete and ``weights`` is the dense
    n_items x n_items matrix (cheaper to sum row-wise than to scatter).
    """

    weights: np.ndarray
    indices: np.ndarray | None
    n_items: int

    @property
    def width(self) -> int:
        return self.n_items if self.indices is None else self.indices.shape[1]

    def score(self, history: np.ndarray, strengths: np.ndarray | None = None) -> np.ndarray:
        """Sum of neighbour weights over the history items: ``x_u @ W`` restricted to top-N."""
        if len(history) == 0:
            return np.zeros(self.n_items)
        if self.indices is None:
            rows = np.take(self.weights, history, axis=0)
            if strengths is None:
                summed: np.ndarray = rows.sum(axis=0)
                return summed
            weighted: np.ndarray = strengths.astype(np.float32) @ rows
            return weighted
        values = self.weights[history]
        if strengths is not None:
            values = values * strengths[:, None]
        totals = np.bincount(
            self.indices[history].ravel(), values.ravel(), minlength=self.n_items + 1
        )
        return totals[: self.n_items]

    def of_item(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """Neighbour indices and weights of one item, best first, padding removed."""
        if self.indices is None:
            row = self.weights[item]
            order = np.argsort(-row, kind="stable")
            order = order[(order != item) & (row[order] > 0)]
            return order, row[order]
        keep = self.indices[item] < self.n_items
        return self.indices[item][keep], self.weights[item][keep]

    def to_sparse(self) -> sp.csr_matrix:
        """The neighbour lists as an n_items x n_items CSR matrix (for inspection/tests)."""
        if self.indices is None:
            return sp.csr_matrix(self.weights)
        rows = np.repeat(np.arange(self.n_items), self.indices.shape[1])
        cols = self.indices.ravel()
        keep = cols < self.n_items
        return sp.csr_matrix(
            (self.weights.ravel()[keep], (rows[keep], cols[keep])),
            shape=(self.n_items, self.n_items),
        )


def top_n_neighbours(
    similarity: np.ndarray | sp.spmatrix,
    n_neighbours: int,
    *,
    positive_only: bool = True,
) -> ItemNeighbours:
    """Keep the ``n_neighbours`` largest entries of each row, excluding the item itself.

    ``positive_only`` drops zero/negative weights, which carry no evidence for cosine
    and co-occurrence and would only pad the lists.
    """
    n_items = similarity.shape[0]
    width = max(0, min(n_neighbours, n_items - 1))
    indices = np.full((n_items, width), n_items, dtype=np.int32)
    weights = np.zeros((n_items, width), dtype=np.float32)
    if width == 0:
        return ItemNeighbours(weights=weights, indices=indices, n_items=n_items)
    is_sparse = sp.issparse(similarity)
    if is_sparse:
        similarity = sp.csr_matrix(similarity)
    for start in range(0, n_items, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n_items)
        rows_of: Any = similarity[start:stop]  # a sparse or a dense block
        block: np.ndarray = rows_of.toarray() if is_sparse else np.array(rows_of, dtype=np.float64)
        rows = np.arange(stop - start)
        block[rows, rows + start] = -np.inf
        top = np.argpartition(-block, width - 1, axis=1)[:, :width]
        top_values = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_values, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_values = np.take_along_axis(top_values, order, axis=1)
        valid = top_values > 0 if positive_only else np.isfinite(top_values)
        indices[start:stop] = np.where(valid, top, n_items)
        weights[start:stop] = np.where(valid, top_values, 0.0)
    return ItemNeighbours(weights=weights, indices=indices, n_items=n_items)


def sparse_top_n_neighbours(similarity: sp.spmatrix, n_neighbours: int) -> ItemNeighbours:
    """``top_n_neighbours`` of a sparse similarity without densifying it: the work is
    proportional to its entries, not to n_items squared (ties by the lower index)."""
    n_items = similarity.shape[0]
    width = max(0, min(n_neighbours, n_items - 1))
    indices = np.full((n_items, width), n_items, dtype=np.int32)
    weights = np.zeros((n_items, width), dtype=np.float32)
    if width:
        top_n_of_sparse_rows(sp.csr_matrix(similarity), width, indices, weights, 0)
    return ItemNeighbours(weights=weights, indices=indices, n_items=n_items)


def top_n_of_sparse_rows(
    rows_matrix: sp.csr_matrix,
    width: int,
    indices: np.ndarray,
    weights: np.ndarray,
    first_item: int,
) -> None:
    """Write the ``width`` largest positive entries of each row of ``rows_matrix`` (the
    rows of items ``first_item``, ``first_item + 1``..., the item itself excluded) into
    ``indices``/``weights``, best first, ties by the lower column."""
    rows_matrix = sp.csr_matrix(rows_matrix)
    rows_matrix.sort_indices()
    local = np.repeat(np.arange(rows_matrix.shape[0]), np.diff(rows_matrix.indptr))
    keep = (rows_matrix.data > 0) & (rows_matrix.indices != local + first_item)
    top_rows, top_columns, top_values = _top_per_row(
        local[keep], rows_matrix.indices[keep], rows_matrix.data[keep], rows_matrix.shape[0], width
    )
    ranks = _rank_in_row(top_rows)
    indices[top_rows, ranks] = top_columns
    weights[top_rows, ranks] = top_values


def _top_per_row(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_rows: int, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries of each row's ``width`` largest values (ties by lower column), sorted by
    row, then value descending, then column. ``rows`` is sorted, ``cols`` ascending
    within a row."""
    counts = np.bincount(rows, minlength=n_rows)
    keep = np.ones(len(rows), dtype=bool)
    starts = np.concatenate([[0], np.cumsum(counts)])
    for row in np.flatnonzero(counts > width).tolist():
        lo, hi = starts[row], starts[row + 1]
        row_values = values[lo:hi]
        threshold = np.partition(row_values, len(row_values) - width)[len(row_values) - width]
        above = row_values > threshold
        # Ties at the threshold: the lowest columns (cols are ascending) fill the row.
        tied = np.flatnonzero(row_values == threshold)[: width - int(above.sum())]
        chosen = above
        chosen[tied] = True
        keep[lo:hi] = chosen
    rows, cols, values = rows[keep], cols[keep], values[keep]
    order = np.lexsort((cols, -values, rows))
    return rows[order], cols[order], values[order]


def _rank_in_row(sorted_rows: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of equal values of a sorted array."""
    if not len(sorted_rows):
        return np.empty(0, dtype=np.int64)
    positions = np.arange(len(sorted_rows))
    run_start = np.concatenate([[True], sorted_rows[1:] != sorted_rows[:-1]])
    return positions - np.maximum.accumulate(np.where(run_start, positions, 0))


def dense_neighbours(weights: np.ndarray) -> ItemNeighbours:
    """Complete neighbour lists from a dense item x item weight matrix (diagonal zeroed)."""
    # Row-major so that gathering a user's history rows reads contiguous memory.
    dense = np.array(weights, dtype=np.float32, order="C")
    np.fill_diagonal(dense, 0.0)
    return ItemNeighbours(weights=dense, indices=None, n_items=dense.shape[0])


def for_serving(neighbours: ItemNeighbours) -> ItemNeighbours:
    """The faster of the two layouts for scoring: dense when lists are wide and the
    catalogue small, else the padded lists unchanged."""
    n_items = neighbours.n_items
    wide = neighbours.width >= DENSE_SERVING_MIN_FILL * n_items
    if neighbours.indices is None or not wide or n_items > DENSE_SERVING_MAX_ITEMS:
        return neighbours
    return dense_neighbours(neighbours.to_sparse().toarray())
