"""Implicit-feedback matrix factorization (ALS, Hu, Koren & Volinsky 2008) via `implicit`.

Training keeps only the item factors: a visitor is scored from the items of their
history at request time ("folding in", one f x f solve), so a model serves visitors and
histories it never saw, and the artifact is n_items x factors floats (51 MB for 200,000
items at 64 factors) however many visitors there are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .item_knn import bm25_weight

# Neighbours `of_item` returns (a product page shows a handful).
ITEM_NEIGHBOURS = 100


@dataclass(frozen=True)
class ItemFactors:
    """Item factors Y of an ALS model and what folding a history in needs.

    Scores like `ItemNeighbours` (``score``, ``of_item``), so the blend, the related
    strategies and the evaluation use either without knowing which it is.
    """

    factors: np.ndarray  # n_items x f, float32
    gram: np.ndarray  # Y^T Y, f x f, float64
    regularization: float
    alpha: float

    @property
    def n_items(self) -> int:
        return int(self.factors.shape[0])

    def user_vector(self, history: np.ndarray, strengths: np.ndarray | None = None) -> np.ndarray:
        """The least-squares user factors for a history, as ALS computes them for a
        training user: (Y^T C_u Y + reg I) x = Y^T C_u p_u with confidence
        c = alpha * strength (1 per item without strengths)."""
        rows = self.factors[history].astype(np.float64)
        confidence = self.alpha * (
            np.ones(len(history)) if strengths is None else np.asarray(strengths, np.float64)
        )
        size = self.gram.shape[0]
        lhs = self.gram + self.regularization * np.eye(size)
        lhs += rows.T @ (rows * (confidence - 1.0)[:, None])
        rhs = rows.T @ confidence
        return np.linalg.solve(lhs, rhs)

    def score(self, history: np.ndarray, strengths: np.ndarray | None = None) -> np.ndarray:
        """Predicted preference of every item for a history; zeros without one (the
        blend then ranks by popularity: cold visitors)."""
        if len(history) == 0:
            return np.zeros(self.n_items)
        return self.factors @ self.user_vector(history, strengths).astype(np.float32)

    def of_item(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """Items a visitor with only this item would be recommended, best first
        (positive scores, the item itself excluded)."""
        scores = self.score(np.asarray([item]))
        scores[item] = -np.inf
        width = min(ITEM_NEIGHBOURS, self.n_items)
        top = np.argpartition(-scores, width - 1)[:width] if width else np.empty(0, int)
        top = top[np.lexsort((top, -scores[top]))]
        top = top[scores[top] > 0]
        return top, scores[top]


def train_als(
    matrix: sp.csr_matrix,
    *,
    factors: int = 64,
    regularization: float = 50.0,
    alpha: float = 3.0,
    iterations: int = 15,
    bm25: bool = True,
    seed: int = 42,
    threads: int = 0,
) -> ItemFactors:
    """Fit ALS on a user x item matrix (BM25-weighted first when ``bm25``) and keep the
    item factors. ``seed`` fixes the initial factors; ``threads=0`` uses every core."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    weighted = bm25_weight(matrix) if bm25 else sp.csr_matrix(matrix, dtype=np.float64)
    # implicit parallelises itself; a multi-threaded BLAS underneath only oversubscribes.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            random_state=seed,
            num_threads=threads,
        )
        model.fit(sp.csr_matrix(weighted, dtype=np.float32), show_progress=False)
    item_factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
    gram = item_factors.T.astype(np.float64) @ item_factors.astype(np.float64)
    return ItemFactors(factors=item_factors, gram=gram, regularization=regularization, alpha=alpha)
