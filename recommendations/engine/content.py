"""Content-based item similarity: TF-IDF over item text, cosine top-N neighbours."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .item_knn import cosine_top_n
from .neighbours import ItemNeighbours, top_n_neighbours


def train_content_neighbours(
    item_ids: Sequence[Hashable] | np.ndarray,
    texts: Mapping[Hashable, str],
    *,
    n_neighbours: int = 100,
    min_df: int = 1,
) -> ItemNeighbours:
    """Cosine neighbours of TF-IDF vectors of each item's text (title, description,
    category...), aligned to ``item_ids``; items without text get no neighbours.

    Works for items nobody has interacted with yet, which is why the hybrid uses it.
    """
    documents = [texts.get(item, "") or "" for item in np.asarray(item_ids).tolist()]
    if not any(documents):
        return top_n_neighbours(np.zeros((len(documents), len(documents))), n_neighbours)
    # Keep one-character tokens too: short category codes and years are informative.
    single_word = r"(?u)\b\w+\b"
    vectorizer = TfidfVectorizer(min_df=min_df, sublinear_tf=True, token_pattern=single_word)
    vectors = vectorizer.fit_transform(documents)
    # Cosine of the item columns of term x item, block by block: the full item x item
    # product of a large catalogue sharing common words would not fit.
    return cosine_top_n(vectors.T, n_neighbours)
