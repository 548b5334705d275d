"""Offline evaluation: dataset loaders, splits, ranking metrics and the benchmark."""

from .benchmark import BenchmarkReport, evaluate_strategies, format_report
from .datasets import (
    InteractionLog,
    load_interactions_file,
    load_movielens_100k,
    load_online_retail,
)
from .metrics import (
    catalogue_coverage,
    hit_rate_at_k,
    mean_ranking_metrics,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from .splits import stratified_split, temporal_split

__all__ = [
    "BenchmarkReport",
    "InteractionLog",
    "catalogue_coverage",
    "evaluate_strategies",
    "format_report",
    "hit_rate_at_k",
    "load_interactions_file",
    "load_movielens_100k",
    "load_online_retail",
    "mean_ranking_metrics",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "stratified_split",
    "temporal_split",
]
