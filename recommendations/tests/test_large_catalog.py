"""The personal model is chosen by catalogue size: EASE up to `ease_max_dense_items`
products, the large-catalogue strategy (blockwise item-kNN BM25 or ALS) above."""

import numpy as np
import pytest

from recommendations import serving
from recommendations.engine import Interactions, TrainingConfig, train_model
from recommendations.engine.als import ItemFactors
from recommendations.engine.neighbours import ItemNeighbours
from recommendations.engine.training import resolve_strategy_weights
from recommendations.services import train_recommender
from recommendations.tests.conftest import NOW


def interactions(n_items: int) -> Interactions:
    rng = np.random.default_rng(3)
    users = rng.integers(0, 30, 300)
    items = rng.integers(0, n_items, 300)
    return Interactions.from_arrays(users, [f"p{i:02d}" for i in items])


def test_up_to_the_limit_ease_is_trained():
    config = TrainingConfig(strategy_weights={"ease": 1.0}, ease_max_dense_items=12)

    model = train_model(interactions(12), config)

    assert model.strategy_weights == {"ease": 1.0} and set(model.neighbours) == {"ease"}


@pytest.mark.parametrize(
    ("large", "kind"), [("item_knn_bm25", ItemNeighbours), ("als", ItemFactors)]
)
def test_above_the_limit_the_large_catalogue_strategy_replaces_ease(large, kind):
    config = TrainingConfig(
        strategy_weights={"ease": 1.0, "popularity": 0.1},
        segment_weights={"vip": {"ease": 2.0}},
        ease_max_dense_items=12,
        large_catalog_strategy=large,
        als_factors=4,
        als_iterations=2,
    )

    model = train_model(interactions(13), config)

    assert set(model.neighbours) == {large}
    assert isinstance(model.neighbours[large], kind)
    assert model.strategy_weights == {"popularity": 0.1, large: 1.0}
    assert model.segment_weights == {"vip": {large: 2.0}}
    assert len(model.recommend(["p00"], k=3)) == 3


def test_weights_add_up_when_the_blend_already_has_the_large_strategy():
    config = TrainingConfig(ease_max_dense_items=10, large_catalog_strategy="item_knn")

    resolved = resolve_strategy_weights({"ease": 1.0, "item_knn": 0.5}, 11, config)

    assert resolved == {"item_knn": 1.5}


def test_an_unknown_large_catalogue_strategy_is_refused():
    config = TrainingConfig(ease_max_dense_items=10, large_catalog_strategy="ease")

    with pytest.raises(ValueError, match="unknown large_catalog_strategy 'ease'"):
        resolve_strategy_weights({"ease": 1.0}, 11, config)


@pytest.mark.django_db
def test_the_shop_above_the_limit_trains_and_serves_the_large_strategy(
    shop, settings, django_capture_on_commit_callbacks
):
    settings.PZ_RECOMMENDER_TRAINING = {
        **settings.PZ_RECOMMENDER_TRAINING,
        "ease_max_dense_items": 6,  # the shop has 7 products
        "bm25_neighbours": 10,
    }
    with django_capture_on_commit_callbacks(execute=True):
        row = train_recommender(now=NOW)

    assert row.config["served_blend"] == {"item_knn_bm25": 1.0}
    assert "ease" not in row.metrics["strategies"]
    assert "item_knn_bm25" in row.metrics["strategies"]
    result = serving.recommend(strategy="personal", visitor_id="u1", k=3)
    assert result.model_version == row.version and result.items
