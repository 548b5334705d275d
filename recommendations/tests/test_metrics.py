import pytest

from recommendations.evaluation.metrics import (
    catalogue_coverage,
    hit_rate_at_k,
    mean_ranking_metrics,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

RECOMMENDED = ["a", "b", "c", "d", "e"]
RELEVANT = {"b", "e", "z"}  # hits at ranks 2 and 5; "z" was never recommended


def test_precision_recall_hit_rate_at_5():
    assert precision_at_k(RECOMMENDED, RELEVANT, 5) == pytest.approx(2 / 5)
    assert recall_at_k(RECOMMENDED, RELEVANT, 5) == pytest.approx(2 / 3)
    assert hit_rate_at_k(RECOMMENDED, RELEVANT, 5) == 1.0
    assert hit_rate_at_k(RECOMMENDED, {"z"}, 5) == 0.0


def test_ndcg_at_5_by_hand():
    # DCG = 1/log2(3) + 1/log2(6) = 0.630930 + 0.386853 = 1.017783
    # IDCG over min(5, 3) = 3 hits = 1 + 0.630930 + 0.5 = 2.130930
    assert ndcg_at_k(RECOMMENDED, RELEVANT, 5) == pytest.approx(1.017783 / 2.130930, abs=1e-6)


def test_cutoff_k_truncates_recommendations_and_ideal():
    # top-2 = [a, b]: DCG = 1/log2(3); IDCG over min(2, 3) = 1 + 1/log2(3)
    assert ndcg_at_k(RECOMMENDED, RELEVANT, 2) == pytest.approx(0.630930 / 1.630930, abs=1e-6)
    assert precision_at_k(RECOMMENDED, RELEVANT, 2) == pytest.approx(1 / 2)
    assert recall_at_k(RECOMMENDED, RELEVANT, 2) == pytest.approx(1 / 3)


def test_perfect_and_empty_rankings():
    assert ndcg_at_k(["b", "e", "z"], RELEVANT, 10) == pytest.approx(1.0)
    assert precision_at_k(["b"], RELEVANT, 10) == pytest.approx(0.1)  # short lists not rewarded
    assert ndcg_at_k([], RELEVANT, 10) == 0.0
    assert recall_at_k(RECOMMENDED, set(), 5) == 0.0


def test_coverage_counts_distinct_items_in_top_k():
    assert catalogue_coverage([["a", "b", "q"], ["b", "c"]], n_items=10, k=2) == pytest.approx(0.3)


def test_means_over_users():
    metrics = mean_ranking_metrics([["a", "b"], ["c", "d"]], [{"a"}, {"x"}], k=2, n_items=4)

    assert metrics.precision == pytest.approx((0.5 + 0.0) / 2)
    assert metrics.recall == pytest.approx((1.0 + 0.0) / 2)
    assert metrics.hit_rate == pytest.approx(0.5)
    assert metrics.ndcg == pytest.approx(0.5)
    assert metrics.coverage == pytest.approx(1.0)
    assert metrics.n_users == 2
