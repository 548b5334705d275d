"""Offline comparison of every strategy against the popularity baseline.

Hyperparameters are chosen on a validation split carved out of the training data
(the same kind of split applied again to train), never on the test split; the test
split is used once, for the final table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from recommendations.engine.interactions import Interactions
from recommendations.engine.model import TrainedModel
from recommendations.engine.training import TrainingConfig, train_model

from .datasets import InteractionLog
from .metrics import RankingMetrics, mean_ranking_metrics
from .splits import stratified_split, temporal_split

SplitKind = Literal["stratified", "temporal"]

EASE_L2_GRID = (100.0, 200.0, 300.0, 400.0, 500.0, 750.0, 1000.0)
KNN_NEIGHBOURS_GRID = (50, 100, 200, 400, 800)
KNN_SHRINK_GRID = (0.0, 10.0, 50.0, 100.0)
# ALS (BM25-weighted): chosen on MovieLens-100K and Online Retail validation splits,
# where more factors, weaker regularization or alpha 1 scored lower.
ALS_FACTORS_GRID = (32, 64)
ALS_REGULARIZATION_GRID = (5.0, 50.0)
ALS_ALPHA_GRID = (3.0, 10.0)
CONTENT_NEIGHBOURS_GRID = (20, 100, 400)
BOUGHT_TOGETHER_NORMALISATIONS = ("cosine", "lift", "jaccard")
TRENDING_HALF_LIFE_DAYS_GRID = (3.0, 7.0, 14.0, 30.0)
# Coordinate ascent over hybrid weights: the anchor strategy keeps weight 1.
HYBRID_WEIGHT_GRID = (0.0, 0.05, 0.1, 0.25, 0.5)
HYBRID_ASCENT_PASSES = 1
# Random splits are noisy: validation NDCG is averaged over this many inner splits.
STRATIFIED_VALIDATION_FOLDS = 3


@dataclass(frozen=True)
class EvaluationSet:
    """A training matrix and, per test user, the held-out items to find.

    ``relevant`` holds item indices of the training catalogue; held-out items the model
    never saw get indices >= n_items, so they count against recall but can never be hit.
    Items a user already had in training are not relevant: they are excluded from ranking.
    """

    train: Interactions
    test_users: np.ndarray
    relevant: list[set[int]]
    segments: list[Hashable | None]
    train_log: InteractionLog


@dataclass(frozen=True)
class StrategyResult:
    name: str
    metrics: RankingMetrics
    train_seconds: float
    hyperparameters: str = ""


@dataclass(frozen=True)
class LatencyResult:
    median_ms: float
    p95_ms: float
    max_ms: float
    calls: int


@dataclass
class BenchmarkReport:
    dataset: str
    protocol: str
    k: int
    n_train_events: int
    n_test_events: int
    n_items: int
    results: list[StrategyResult] = field(default_factory=list)
    latency: dict[str, LatencyResult] = field(default_factory=dict)
    tuning_notes: list[str] = field(default_factory=list)


def build_evaluation_set(train_log: InteractionLog, test_log: InteractionLog) -> EvaluationSet:
    """Index the test events against the training catalogue, one entry per test user
    who is known in train and has at least one relevant item."""
    train = train_log.to_interactions()
    unknown_items: dict[Hashable, int] = {}
    by_user: dict[int, set[int]] = {}
    for user, item in zip(test_log.users.tolist(), test_log.items.tolist(), strict=True):
        row = train.user_index.get(user)
        if row is None:
            continue
        index = train.item_index.get(item)
        if index is None:
            index = unknown_items.setdefault(item, train.n_items + len(unknown_items))
        by_user.setdefault(row, set()).add(index)
    matrix = train.matrix
    users, relevant = [], []
    for row in sorted(by_user):
        seen = set(matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]].tolist())
        items = by_user[row] - seen
        if items:
            users.append(row)
            relevant.append(items)
    segments = [train_log.user_segments.get(train.user_ids[row]) for row in users]
    return EvaluationSet(
        train=train,
        test_users=np.asarray(users, dtype=np.int64),
        relevant=relevant,
        segments=segments,
        train_log=train_log,
    )


def rank_test_users(model: TrainedModel, evaluation: EvaluationSet, k: int) -> list[np.ndarray]:
    """Top-k for every test user through the serving path, excluding training items."""
    matrix = evaluation.train.matrix
    indptr, indices = matrix.indptr, matrix.indices
    return [
        model.recommend_indices(indices[indptr[row] : indptr[row + 1]], k, segment=segment)
        for row, segment in zip(evaluation.test_users.tolist(), evaluation.segments, strict=True)
    ]


def evaluate_model(model: TrainedModel, evaluation: EvaluationSet, k: int) -> RankingMetrics:
    rankings = [ranked.tolist() for ranked in rank_test_users(model, evaluation, k)]
    return mean_ranking_metrics(rankings, evaluation.relevant, k, evaluation.train.n_items)


def fit(
    evaluation: EvaluationSet, config: TrainingConfig, *, segments: bool = False
) -> TrainedModel:
    """Train on an evaluation set's training log with all the side information it has."""
    log = evaluation.train_log
    baskets = (log.baskets, log.items) if log.baskets is not None else None
    needs_baskets = "bought_together" in config.active_strategies()
    return train_model(
        evaluation.train,
        config,
        item_texts=log.item_texts,
        baskets=baskets if needs_baskets else None,
        user_segments=log.user_segments if segments else None,
    )


def measure_latency(
    model: TrainedModel, evaluation: EvaluationSet, k: int, *, repeats: int = 1
) -> LatencyResult:
    """Wall time of ``TrainedModel.recommend`` (item ids in, item ids out) per test user."""
    matrix = evaluation.train.matrix
    item_ids = evaluation.train.item_ids
    histories = [
        item_ids[matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]].tolist()
        for row in evaluation.test_users.tolist()
    ]
    for history in histories[:50]:  # warm caches before timing
        model.recommend(history, k)
    timings = []
    for _ in range(repeats):
        for history, segment in zip(histories, evaluation.segments, strict=True):
            started = time.perf_counter_ns()
            model.recommend(history, k, segment=segment)
            timings.append(time.perf_counter_ns() - started)
    millis = np.asarray(timings) / 1e6
    return LatencyResult(
        median_ms=float(np.median(millis)),
        p95_ms=float(np.percentile(millis, 95)),
        max_ms=float(millis.max()),
        calls=len(millis),
    )


def validation_ndcg(validations: Sequence[EvaluationSet], config: TrainingConfig, k: int) -> float:
    """Mean NDCG@k of ``config`` over the validation sets."""
    scores = [evaluate_model(fit(v, config), v, k).ndcg for v in validations]
    return float(np.mean(scores))


def _select(
    validations: Sequence[EvaluationSet],
    candidates: Sequence[TrainingConfig],
    k: int,
    describe: Callable[[TrainingConfig], str],
    notes: list[str],
    label: str,
) -> TrainingConfig:
    scored = [(validation_ndcg(validations, config, k), config) for config in candidates]
    best_ndcg, best = max(scored, key=lambda pair: pair[0])
    notes.append(
        f"{label}: {describe(best)} (validation NDCG@{k} {best_ndcg:.4f}, "
        f"{len(candidates)} candidates)"
    )
    return best


def tune_config(
    validations: Sequence[EvaluationSet],
    k: int,
    *,
    has_text: bool,
    has_baskets: bool,
    has_time: bool,
    notes: list[str],
) -> TrainingConfig:
    """Pick every strategy's hyperparameters, then the hybrid weights, by mean NDCG@k over
    the validation sets (carved from training data only)."""
    base = TrainingConfig()

    knn = _select(
        validations,
        [
            replace(base, strategy_weights={"item_knn": 1.0}, knn_neighbours=n, knn_shrink=s)
            for n in KNN_NEIGHBOURS_GRID
            for s in KNN_SHRINK_GRID
        ],
        k,
        lambda c: f"neighbours={c.knn_neighbours} shrink={c.knn_shrink:g}",
        notes,
        "item_knn",
    )
    bm25 = _select(
        validations,
        [
            replace(base, strategy_weights={"item_knn_bm25": 1.0}, bm25_neighbours=n, bm25_shrink=s)
            for n in KNN_NEIGHBOURS_GRID
            for s in KNN_SHRINK_GRID
        ],
        k,
        lambda c: f"neighbours={c.bm25_neighbours} shrink={c.bm25_shrink:g}",
        notes,
        "item_knn_bm25",
    )
    ease = _select(
        validations,
        [replace(base, strategy_weights={"ease": 1.0}, ease_l2=l2) for l2 in EASE_L2_GRID],
        k,
        lambda c: f"l2={c.ease_l2:g}",
        notes,
        "ease",
    )
    als = _select(
        validations,
        [
            replace(
                base,
                strategy_weights={"als": 1.0},
                als_factors=factors,
                als_regularization=regularization,
                als_alpha=alpha,
            )
            for factors in ALS_FACTORS_GRID
            for regularization in ALS_REGULARIZATION_GRID
            for alpha in ALS_ALPHA_GRID
        ],
        k,
        lambda c: _describe("als", c),
        notes,
        "als",
    )
    tuned = replace(
        base,
        knn_neighbours=knn.knn_neighbours,
        knn_shrink=knn.knn_shrink,
        bm25_neighbours=bm25.bm25_neighbours,
        bm25_shrink=bm25.bm25_shrink,
        ease_l2=ease.ease_l2,
        als_factors=als.als_factors,
        als_regularization=als.als_regularization,
        als_alpha=als.als_alpha,
    )
    if has_text:
        content = _select(
            validations,
            [
                replace(tuned, strategy_weights={"content": 1.0}, content_neighbours=n)
                for n in CONTENT_NEIGHBOURS_GRID
            ],
            k,
            lambda c: f"neighbours={c.content_neighbours}",
            notes,
            "content",
        )
        tuned = replace(tuned, content_neighbours=content.content_neighbours)
    if has_baskets:
        bought = _select(
            validations,
            [
                replace(
                    tuned,
                    strategy_weights={"bought_together": 1.0},
                    bought_together_normalisation=normalisation,
                )
                for normalisation in BOUGHT_TOGETHER_NORMALISATIONS
            ],
            k,
            lambda c: f"normalisation={c.bought_together_normalisation}",
            notes,
            "bought_together",
        )
        tuned = replace(tuned, bought_together_normalisation=bought.bought_together_normalisation)
    if has_time:
        trending = _select(
            validations,
            [
                replace(tuned, strategy_weights={"trending": 1.0}, trending_half_life_days=days)
                for days in TRENDING_HALF_LIFE_DAYS_GRID
            ],
            k,
            lambda c: f"half_life_days={c.trending_half_life_days:g}",
            notes,
            "trending",
        )
        tuned = replace(tuned, trending_half_life_days=trending.trending_half_life_days)
    return _tune_hybrid_weights(
        validations,
        tuned,
        k,
        has_text=has_text,
        has_baskets=has_baskets,
        has_time=has_time,
        notes=notes,
    )


def _tune_hybrid_weights(
    validations: Sequence[EvaluationSet],
    tuned: TrainingConfig,
    k: int,
    *,
    has_text: bool,
    has_baskets: bool,
    has_time: bool,
    notes: list[str],
) -> TrainingConfig:
    """Coordinate ascent on blend weights around the best single personal strategy.

    Every component is trained once; candidates only swap the weights of the model.
    """
    names = ["ease", "item_knn", "item_knn_bm25", "popularity"]
    names += ["content"] * has_text + ["bought_together"] * has_baskets + ["trending"] * has_time
    everything = replace(tuned, strategy_weights=dict.fromkeys(names, 1.0))
    fitted = [(fit(validation, everything), validation) for validation in validations]

    def score(weights: Mapping[str, float]) -> float:
        return float(
            np.mean(
                [
                    evaluate_model(replace(model, strategy_weights=dict(weights)), v, k).ndcg
                    for model, v in fitted
                ]
            )
        )

    personal = [n for n in names if n not in ("popularity", "trending")]
    single = {name: score({name: 1.0}) for name in personal}
    anchor = max(single, key=single.__getitem__)
    weights = dict.fromkeys(names, 0.0)
    weights[anchor] = 1.0
    best = single[anchor]
    evaluations = len(single)
    for _ in range(HYBRID_ASCENT_PASSES):
        for name in names:
            if name == anchor:
                continue
            for value in HYBRID_WEIGHT_GRID:
                trial = {**weights, name: value}
                result = score(trial)
                evaluations += 1
                if result > best + 1e-6:
                    best, weights = result, trial
    chosen = {name: w for name, w in weights.items() if w}
    notes.append(
        f"hybrid: weights={chosen} (validation NDCG@{k} {best:.4f}, {evaluations} candidates, "
        f"anchor {anchor})"
    )
    return replace(tuned, strategy_weights=chosen)


def strategy_configs(
    tuned: TrainingConfig, *, has_text: bool, has_baskets: bool, has_time: bool, has_segments: bool
) -> list[tuple[str, TrainingConfig, bool]]:
    """(name, config, use segment popularity) for every row of the report."""
    rows = [("popularity", replace(tuned, strategy_weights={"popularity": 1.0}), False)]
    if has_segments:
        rows.append(
            ("segment_popularity", replace(tuned, strategy_weights={"popularity": 1.0}), True)
        )
    if has_time:
        rows.append(("trending", replace(tuned, strategy_weights={"trending": 1.0}), False))
    for name in ("item_knn", "item_knn_bm25", "als", "ease"):
        rows.append((name, replace(tuned, strategy_weights={name: 1.0}), False))
    if has_text:
        rows.append(("content", replace(tuned, strategy_weights={"content": 1.0}), False))
    if has_baskets:
        rows.append(
            ("bought_together", replace(tuned, strategy_weights={"bought_together": 1.0}), False)
        )
    rows.append(("hybrid", tuned, False))
    return rows


def evaluate_strategies(
    log: InteractionLog,
    *,
    split: SplitKind,
    k: int = 10,
    seed: int = 42,
    tune: bool = True,
    config: TrainingConfig | None = None,
    latency_strategies: Sequence[str] = ("ease", "item_knn", "item_knn_bm25", "als", "hybrid"),
) -> BenchmarkReport:
    """Split, tune on validation carved from train, evaluate every strategy on test.

    ``split="stratified"`` is the Microsoft Recommenders MovieLens protocol (per-user
    random 75/25, seeded); ``"temporal"`` holds out the last 20% of the time span.
    With ``tune=False`` the given (or default) ``config`` is used as is.
    """
    train_log, test_log = _split(log, split, seed)
    evaluation = build_evaluation_set(train_log, test_log)
    has_text = bool(log.item_texts)
    has_baskets = log.baskets is not None
    has_time = log.timestamps is not None and split == "temporal"
    has_segments = bool(log.user_segments)
    report = BenchmarkReport(
        dataset=log.name,
        protocol=_describe_protocol(split, seed),
        k=k,
        n_train_events=len(train_log),
        n_test_events=len(test_log),
        n_items=evaluation.train.n_items,
    )
    tuned = config or TrainingConfig()
    if tune:
        folds = STRATIFIED_VALIDATION_FOLDS if split == "stratified" else 1
        validations = [
            build_evaluation_set(*_split(train_log, split, seed + 1 + fold))
            for fold in range(folds)
        ]
        if split == "stratified":
            seeds = ", ".join(str(seed + 1 + fold) for fold in range(folds))
            how = f"{folds} stratified 75/25 splits of the training data (seeds {seeds})"
        else:
            how = "the last 20% of the training time span held out (users known in the rest)"
        report.tuning_notes.append(f"validation: {how}")
        tuned = tune_config(
            validations,
            k,
            has_text=has_text,
            has_baskets=has_baskets,
            has_time=has_time,
            notes=report.tuning_notes,
        )
    rows = strategy_configs(
        tuned,
        has_text=has_text,
        has_baskets=has_baskets,
        has_time=has_time,
        has_segments=has_segments,
    )
    for name, row_config, use_segments in rows:
        started = time.perf_counter()
        model = fit(evaluation, row_config, segments=use_segments)
        seconds = time.perf_counter() - started
        report.results.append(
            StrategyResult(
                name=name,
                metrics=evaluate_model(model, evaluation, k),
                train_seconds=seconds,
                hyperparameters=_describe(name, row_config),
            )
        )
        if name in latency_strategies:
            report.latency[name] = measure_latency(model, evaluation, k, repeats=3)
    return report


def _split(log: InteractionLog, split: SplitKind, seed: int) -> tuple[InteractionLog, ...]:
    if split == "stratified":
        return stratified_split(log, ratio=0.75, seed=seed)
    if split == "temporal":
        return temporal_split(log, test_fraction=0.2)
    raise ValueError(f"unknown split {split!r}")


def _describe_protocol(split: SplitKind, seed: int) -> str:
    if split == "stratified":
        return f"per-user stratified random 75/25 (seed {seed}), ranked over unseen items"
    return "temporal: last 20% of the time span is test, test users known in train"


def _describe(name: str, config: TrainingConfig) -> str:
    if name == "item_knn":
        return f"neighbours={config.knn_neighbours} shrink={config.knn_shrink:g}"
    if name == "item_knn_bm25":
        return f"neighbours={config.bm25_neighbours} shrink={config.bm25_shrink:g}"
    if name == "ease":
        return f"l2={config.ease_l2:g}"
    if name == "als":
        return (
            f"factors={config.als_factors} regularization={config.als_regularization:g} "
            f"alpha={config.als_alpha:g} bm25={config.als_bm25} "
            f"iterations={config.als_iterations} seed={config.seed}"
        )
    if name == "content":
        return f"neighbours={config.content_neighbours}"
    if name == "bought_together":
        return (
            f"{config.bought_together_normalisation}, min_count={config.bought_together_min_count}"
        )
    if name == "trending":
        return f"half_life_days={config.trending_half_life_days:g}"
    if name == "hybrid":
        return ", ".join(f"{n}={w:g}" for n, w in config.strategy_weights.items())
    return ""


def format_report(report: BenchmarkReport) -> str:
    """The report as a Markdown table, NDCG also shown as a ratio to popularity."""
    k = report.k
    baseline = next((r.metrics.ndcg for r in report.results if r.name == "popularity"), 0.0)
    lines = [
        f"Dataset: {report.dataset} | protocol: {report.protocol} | k={k}",
        f"train events {report.n_train_events}, test events {report.n_test_events}, "
        f"catalogue {report.n_items} items, test users "
        f"{report.results[0].metrics.n_users if report.results else 0}",
        "",
        f"| strategy | NDCG@{k} | × pop | P@{k} | R@{k} | Hit@{k} | coverage | train s "
        "| hyperparameters |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in report.results:
        m = result.metrics
        ratio = m.ndcg / baseline if baseline else float("nan")
        lines.append(
            f"| {result.name} | {m.ndcg:.4f} | {ratio:.2f} | {m.precision:.4f} | "
            f"{m.recall:.4f} | {m.hit_rate:.4f} | {m.coverage:.4f} | "
            f"{result.train_seconds:.2f} | {result.hyperparameters} |"
        )
    if report.latency:
        lines += ["", "Serving latency of TrainedModel.recommend (top-k, item ids in and out):"]
        for name, latency in report.latency.items():
            lines.append(
                f"- {name}: median {latency.median_ms:.3f} ms, p95 {latency.p95_ms:.3f} ms, "
                f"max {latency.max_ms:.3f} ms over {latency.calls} calls"
            )
    if report.tuning_notes:
        lines += ["", "Chosen on a validation split carved from the training data:"]
        lines += [f"- {note}" for note in report.tuning_notes]
    return "\n".join(lines)
