import numpy as np

from recommendations.engine import TrainingConfig, build_interactions, train_model

# Two taste clusters: {a, b, c} and {x, y}; "a" is the most popular item overall.
EVENTS = [
    ("u1", "a", 1),
    ("u1", "b", 1),
    ("u1", "c", 1),
    ("u2", "a", 1),
    ("u2", "b", 1),
    ("u3", "a", 1),
    ("u3", "c", 1),
    ("u4", "x", 1),
    ("u4", "y", 1),
    ("u5", "x", 1),
    ("u5", "y", 1),
    ("u6", "a", 1),
]
KNN = TrainingConfig(strategy_weights={"item_knn": 1.0}, knn_neighbours=10)


def trained(config=KNN, **kwargs):
    return train_model(build_interactions(EVENTS), config, **kwargs)


def test_recommends_co_occurring_items_and_never_the_history():
    model = trained()

    assert model.recommend(["x"], k=1) == ["y"]
    assert "a" not in model.recommend(["a"], k=4)


def test_excluded_and_out_of_stock_items_are_filtered():
    model = trained()

    result = model.recommend(["a"], k=4, exclude={"b"}, out_of_stock={"c"})

    assert "b" not in result
    assert "c" not in result
    assert result  # popularity fills in behind the filtered items


def test_history_can_be_kept_when_asked():
    model = trained()

    assert "a" in model.recommend(["b"], k=5, exclude_history=False)


def test_cold_start_user_gets_popularity():
    model = trained()

    assert model.recommend([], k=2) == ["a", "b"] or model.recommend([], k=2) == ["a", "c"]
    assert model.recommend(["never-seen-item"], k=1) == ["a"]


def test_popularity_fills_when_personal_scores_run_out():
    model = trained()

    result = model.recommend(["x"], k=3)

    assert result[0] == "y"
    assert result[1] == "a"  # no co-occurrence left: most popular next


def test_boosts_promote_and_demote():
    model = trained()

    assert model.recommend([], k=1, boosts={"x": 10.0})[0] == "x"
    assert model.recommend(["x"], k=1, boosts={"y": 1e-9})[0] != "y"


def test_segment_popularity_is_the_fallback_for_that_segment():
    model = trained(user_segments={"u4": "FR", "u5": "FR", "u1": "GB"})

    assert model.recommend([], k=1, segment="FR")[0] in {"x", "y"}
    assert model.recommend([], k=1, segment="unknown")[0] == "a"


def test_segment_weights_override_the_blend():
    config = TrainingConfig(
        strategy_weights={"item_knn": 1.0},
        segment_weights={"bargain": {"popularity": 1.0}},
    )
    model = trained(config)

    assert model.recommend(["x"], k=1) == ["y"]
    assert model.recommend(["x"], k=1, segment="bargain") == ["a"]


def test_history_strengths_weight_the_evidence():
    model = trained()

    heavy_on_x = model.recommend({"x": 5.0, "b": 1.0}, k=1)
    heavy_on_b = model.recommend({"x": 1.0, "b": 5.0}, k=1)

    assert heavy_on_x == ["y"]
    assert heavy_on_b in (["a"], ["c"])


def test_hybrid_blends_scaled_strategy_scores():
    config = TrainingConfig(strategy_weights={"item_knn": 1.0, "ease": 1.0}, ease_l2=1.0)
    model = trained(config)
    history = np.array([model.item_index["x"]])

    knn = model.neighbours["item_knn"].score(history)
    ease = model.neighbours["ease"].score(history)
    expected = knn / knn.max() + ease / ease.max()
    blended = model.score_indices(history)

    np.testing.assert_allclose(blended, expected, atol=1e-5)
    assert model.recommend(["x"], k=1) == ["y"]
