import numpy as np

from recommendations.engine import TrainingConfig
from recommendations.evaluation.benchmark import (
    build_evaluation_set,
    evaluate_strategies,
    format_report,
)
from recommendations.evaluation.datasets import InteractionLog


def clustered_log(seed: int = 0) -> InteractionLog:
    """Users pick from one of three item clusters, so item-item methods beat popularity."""
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    for user in range(60):
        cluster = user % 3
        chosen = rng.choice(np.arange(cluster * 20, cluster * 20 + 20), size=10, replace=False)
        users += [user] * 10
        items += chosen.tolist()
        times += sorted(rng.uniform(0, 100, size=10).tolist())
    texts = {item: f"cluster{item // 20}" for item in range(60)}
    return InteractionLog(
        name="clusters",
        users=np.asarray(users),
        items=np.asarray(items),
        weights=np.ones(len(users)),
        timestamps=np.asarray(times),
        item_texts=texts,
    )


def test_evaluation_set_drops_seen_items_and_marks_unknown_ones():
    train = InteractionLog("t", np.array([1, 1]), np.array([10, 11]), np.ones(2))
    test = InteractionLog("t", np.array([1, 1, 1, 9]), np.array([10, 12, 11, 10]), np.ones(4))

    evaluation = build_evaluation_set(train, test)

    assert evaluation.test_users.tolist() == [0]
    assert evaluation.relevant == [{2}]  # item 12 unknown to train: index >= n_items


def test_every_strategy_is_reported_and_personal_ones_beat_popularity():
    report = evaluate_strategies(
        clustered_log(), split="stratified", k=5, tune=False, config=TrainingConfig()
    )
    by_name = {result.name: result.metrics.ndcg for result in report.results}

    assert {"popularity", "item_knn", "item_knn_bm25", "ease", "content", "hybrid"} <= set(by_name)
    assert by_name["item_knn"] > 1.5 * by_name["popularity"]
    assert by_name["ease"] > 1.5 * by_name["popularity"]
    assert "| popularity |" in format_report(report)
    assert report.latency["ease"].median_ms > 0


def test_temporal_protocol_includes_trending():
    report = evaluate_strategies(clustered_log(), split="temporal", k=5, tune=False)

    assert "trending" in {result.name for result in report.results}
