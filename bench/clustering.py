"""Clustering: 100,000 synthetic customers, k chosen by silhouette over 2..10.

Pure scikit-learn, timed in-process (no Django, no database). The customers mimic the
Online Retail purchasers: recency skewed towards recent days, frequency geometric-like,
order values lognormal, a Dirichlet interest mix over five categories, 30% on mobile.

Figures (median over `--repeats`):
- `cluster k=2..10`: wall time of `segments.clustering.cluster` (log1p, scaling, one
  MiniBatchKMeans fit and one sampled silhouette per k), against the baseline of one
  plain KMeans fit at k=5 on the same scaled data: the ratio is what choosing k costs.
- `vs target`: the same time against the 60 s target (`--clustering-target`).
- with `--clustering-compare-kmeans`, `full KMeans k=2..10`: the same selection with
  plain KMeans at every size, against the MiniBatchKMeans time, to check the threshold.
"""

import argparse
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from bench.results import Result, median
from segments.clustering import LOG_FEATURES, cluster, feature_names

NAME = "clustering"
# The production columns (`segments.cluster_features`) for five interest categories.
FEATURES = feature_names(("home", "kitchen", "seasonal", "kids", "party"))
INTEREST_WEIGHT = 1 / np.sqrt(5)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("clustering")
    group.add_argument("--clustering-rows", type=int, default=100_000, help="customers (100000)")
    group.add_argument("--clustering-k-max", type=int, default=10, help="k tried: 2..N (10)")
    group.add_argument(
        "--clustering-target", type=float, default=60.0, help="seconds the run must beat (60)"
    )
    group.add_argument(
        "--clustering-compare-kmeans",
        action="store_true",
        help="also time the selection with plain KMeans instead of MiniBatchKMeans",
    )


def customers(rows: int, seed: int) -> np.ndarray:
    """RFM-like synthetic customers, one row each, columns as `FEATURES`."""
    rng = np.random.default_rng(seed)
    recency = np.minimum(rng.gamma(0.9, 110.0, rows), 373.0)
    frequency = rng.geometric(0.3, rows) + rng.poisson(rng.gamma(0.5, 4.0, rows))
    order_value = rng.lognormal(np.log(280.0), 0.8, rows)
    monetary = frequency * order_value
    tenure = np.minimum(recency + rng.gamma(1.5, 60.0, rows) * (frequency > 1), 373.0)
    engagement = 10.0 * frequency * np.exp2(-recency / 7.0)
    interests = rng.dirichlet([2.0, 1.2, 0.5, 0.4, 0.3], rows)
    mobile = (rng.random(rows) < 0.3).astype(float)
    return np.column_stack(
        [recency, frequency, monetary, order_value, tenure, engagement, interests, mobile]
    )


def run(args: argparse.Namespace) -> list[Result]:
    rows, k_max = args.clustering_rows, args.clustering_k_max
    data = customers(rows, args.seed)
    weights = {name: INTEREST_WEIGHT for name in FEATURES if name.startswith("interest_")}
    print(f"\n[clustering] {rows:,} synthetic customers, k in 2..{k_max}", flush=True)
    baselines, timings, full_timings, result = [], [], [], None
    for repeat in range(args.repeats):
        started = time.perf_counter()
        prepared = np.log1p(data[:, [FEATURES.index(name) for name in LOG_FEATURES]])
        rest = data[:, [i for i, name in enumerate(FEATURES) if name not in LOG_FEATURES]]
        scaled = StandardScaler().fit_transform(np.hstack([prepared, rest]))
        KMeans(n_clusters=5, n_init="auto", random_state=0).fit(scaled)
        baselines.append(time.perf_counter() - started)

        started = time.perf_counter()
        result = cluster(
            data, FEATURES, k_range=(2, k_max), log_features=LOG_FEATURES, weights=weights
        )
        timings.append(time.perf_counter() - started)
        print(
            f"  repeat {repeat + 1}: {timings[-1]:.1f} s (baseline {baselines[-1]:.2f} s), "
            f"k={result.k}, silhouette={result.silhouette}",
            flush=True,
        )
        if args.clustering_compare_kmeans:
            started = time.perf_counter()
            full = cluster(
                data,
                FEATURES,
                k_range=(2, k_max),
                log_features=LOG_FEATURES,
                weights=weights,
                minibatch_above=rows,
            )
            full_timings.append(time.perf_counter() - started)
            print(
                f"  repeat {repeat + 1}, plain KMeans: {full_timings[-1]:.1f} s, k={full.k}, "
                f"silhouette={full.silhouette}",
                flush=True,
            )
    assert result is not None
    for k, scores in result.scores_by_k.items():
        print(f"  k={k:>2}  silhouette={scores['silhouette']}  inertia={scores['inertia']:,.0f}")
    for group in result.clusters:
        print(f"  {group.size:>7,}  {group.name}")
    seconds = median(timings)
    case = f"{rows:,} customers"
    note = f"{result.parameters['model']}, k={result.k}, silhouette={result.silhouette}"
    results = [
        Result(
            benchmark=NAME,
            case=case,
            figure=f"cluster k=2..{k_max}",
            value=seconds,
            unit="s",
            baseline=median(baselines),
            better="lower",
            note=f"{note}; baseline: one KMeans k=5 fit",
        ),
        Result(
            benchmark=NAME,
            case=case,
            figure="vs target",
            value=seconds,
            unit="s",
            baseline=args.clustering_target,
            better="lower",
            note="MET" if seconds < args.clustering_target else "NOT MET",
        ),
    ]
    if full_timings:
        results.append(
            Result(
                benchmark=NAME,
                case=case,
                figure=f"full KMeans k=2..{k_max}",
                value=median(full_timings),
                unit="s",
                baseline=seconds,
                better="lower",
                note=f"baseline: the {result.parameters['model']} run above",
            )
        )
    return results
