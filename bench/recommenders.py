"""Recommenders at catalog scale: training time, memory peak and serving p99 of the
scalable models (blockwise item-kNN BM25, ALS) against item-kNN on the full item gram.

Pure engine code, no Django. Synthetic power-law interactions (fixed seed) are written
once per size to a temporary folder; every (model, size) then runs in its own Python
process so that its memory peak (`VmHWM`) is its own, under an address-space cap
(`--recommenders-memory-cap-gb`, default 12) so a model that cannot fit fails with
MemoryError instead of pushing the shared machine into swap or the OOM killer.

Cases:
- `full gram item-kNN` (the baseline): `top_n_neighbours(cosine_similarity(X))`, what
  item-kNN was before blockwise top-N (and what EASE fell back to above 20,000
  products): the whole item x item gram in memory, then top-N per row;
- `blockwise item-kNN BM25`: `train_item_knn(weighting="bm25")`, the large-catalogue
  default (`engine.item_knn.cosine_top_n`);
- `ALS`: `engine.als.train_als` (implicit, BM25-weighted, item factors kept).

Each runs at every size of `--recommenders-scales` (fractions of products, visitors and
interactions), for at most `--recommenders-timeout` seconds; the ratios compare each
scalable model with the baseline at the same size, or at the largest size where the
baseline finished.
Serving: `ranking.rank_personal` (the blend over a visitor's history as the API runs
it, without cache and database) for `--recommenders-requests` sampled visitors with
their last 50 items, after 100 warm-up calls.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.results import Result
from bench.timing import summary, timed

NAME = "recommenders"
REPO_ROOT = Path(__file__).resolve().parent.parent
BASELINE = "item_knn_full_gram"
MODELS = {
    BASELINE: "full gram item-kNN",
    "item_knn_bm25": "blockwise item-kNN BM25",
    "als": "ALS",
}
# Taste clusters of the synthetic shop: a visitor draws most items from one of them.
CLUSTERS = 2000
IN_CLUSTER_SHARE = 0.6
HISTORY_ITEMS = 50  # as PZ_RECOMMENDER_HISTORY_ITEMS
GIB = 1024**3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("recommenders")
    group.add_argument("--recommenders-products", type=int, default=200_000)
    group.add_argument("--recommenders-visitors", type=int, default=1_000_000)
    group.add_argument("--recommenders-interactions", type=int, default=20_000_000)
    group.add_argument(
        "--recommenders-scales",
        default="1,0.125",
        help="fractions of the three sizes to run, largest first (1,0.125)",
    )
    group.add_argument(
        "--recommenders-models",
        default=",".join(MODELS),
        help=f"models to run ({','.join(MODELS)})",
    )
    group.add_argument("--recommenders-neighbours", type=int, default=100)
    group.add_argument("--recommenders-shrink", type=float, default=10.0)
    group.add_argument("--recommenders-factors", type=int, default=64)
    group.add_argument("--recommenders-iterations", type=int, default=15)
    group.add_argument(
        "--recommenders-threads", type=int, default=1, help="ALS threads (1: same as kNN)"
    )
    group.add_argument("--recommenders-requests", type=int, default=2000)
    group.add_argument("--recommenders-memory-cap-gb", type=float, default=12.0)
    group.add_argument(
        "--recommenders-timeout", type=float, default=1200.0, help="seconds per model and size"
    )


def interactions(
    products: int, visitors: int, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(visitor, product) pairs with power-law product popularity (Zipf, exponent 1),
    lognormal visitor activity (mean count/visitors, capped at 5,000) and taste: 60% of
    a visitor's items come from their own cluster of products, the rest from the whole
    catalogue."""
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0.0, 1.2, visitors)
    degrees = np.minimum(np.maximum(1, np.round(activity * count / activity.sum())), 5000)
    degrees = degrees.astype(np.int64)
    short = count - int(degrees.sum())
    if short > 0:
        degrees[rng.choice(visitors, short)] += 1
    elif short < 0:
        degrees[np.argsort(-degrees)[:-short]] -= 1
    users = np.repeat(np.arange(visitors, dtype=np.int32), degrees)
    clusters = min(CLUSTERS, products)
    home = rng.integers(0, clusters, visitors)[users]
    # Product p has popularity rank p; cluster c holds c, c + clusters, c + 2 clusters...
    global_pick = _zipf(rng, products, len(users))
    per_cluster = products // clusters
    in_cluster = _zipf(rng, per_cluster, len(users)) * clusters + home
    items = np.where(rng.random(len(users)) < IN_CLUSTER_SHARE, in_cluster, global_pick)
    return users, items.astype(np.int32)


def _write_matrix(path: Path, sizes: tuple[int, int, int], seed: int) -> None:
    """The binary visitor x product CSR arrays, one .npy each, so a worker's peak holds
    the matrix and not the temporaries of building it."""
    import scipy.sparse as sp

    users, items = interactions(*sizes, seed=seed)
    matrix = sp.csr_matrix(
        (np.ones(len(users), dtype=np.float32), (users, items)), shape=(sizes[1], sizes[0])
    )
    matrix.sum_duplicates()
    path.mkdir()
    np.save(path / "indptr.npy", matrix.indptr.astype(np.int64))
    np.save(path / "indices.npy", matrix.indices.astype(np.int32))
    np.save(path / "shape.npy", np.asarray(matrix.shape))


def _zipf(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Ranks 0..n-1 drawn with probability proportional to 1 / (rank + 1)."""
    cumulative = np.cumsum(1.0 / np.arange(1, n + 1))
    return np.searchsorted(cumulative, rng.random(size) * cumulative[-1]).astype(np.int64)


def run(args: argparse.Namespace) -> list[Result]:
    scales = [float(s) for s in args.recommenders_scales.split(",")]
    models = [m.strip() for m in args.recommenders_models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise SystemExit(f"unknown recommenders model(s): {', '.join(unknown)}")
    print(f"\n[recommenders] models {', '.join(models)} at scales {scales}", flush=True)
    measured: dict[tuple[str, float], dict] = {}
    with tempfile.TemporaryDirectory(prefix="pz-bench-recs-") as folder:
        for scale in scales:
            sizes = _sizes(args, scale)
            path = Path(folder) / f"scale-{scale}"
            started = time.perf_counter()
            _write_matrix(path, sizes, args.seed)
            print(
                f"  scale {scale:g}: {sizes[0]:,} products, {sizes[1]:,} visitors, "
                f"{sizes[2]:,} interactions (generated in {time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            for model in models:
                outcome = _run_worker(args, model, path)
                measured[(model, scale)] = outcome
                _print_outcome(model, outcome)
    return _results(measured, models, scales, args)


def _sizes(args: argparse.Namespace, scale: float) -> tuple[int, int, int]:
    return (
        round(args.recommenders_products * scale),
        round(args.recommenders_visitors * scale),
        round(args.recommenders_interactions * scale),
    )


def _run_worker(args: argparse.Namespace, model: str, path: Path) -> dict:
    options = {
        "model": model,
        "data": str(path),
        "neighbours": args.recommenders_neighbours,
        "shrink": args.recommenders_shrink,
        "factors": args.recommenders_factors,
        "iterations": args.recommenders_iterations,
        "threads": args.recommenders_threads,
        "requests": args.recommenders_requests,
        "cap_bytes": int(args.recommenders_memory_cap_gb * GIB),
        "seed": args.seed,
    }
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.recommenders", json.dumps(options)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=err,
            text=True,
        )
        deadline = time.monotonic() + args.recommenders_timeout
        peak = 0
        while process.poll() is None:
            peak = max(peak, _high_water_mark(process.pid))
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                err.seek(0)
                progress = err.read().strip().splitlines()[-1:] or ["no progress reported"]
                return {
                    "error": f"did not finish within {args.recommenders_timeout:.0f} s "
                    f"(memory peak so far {peak / GIB:.1f} GiB; {progress[0][:200]})"
                }
            time.sleep(0.5)
        out.seek(0)
        err.seek(0)
        lines = out.read().strip().splitlines()
        if process.returncode != 0 or not lines:
            tail = err.read().strip().splitlines()[-1:] or [f"exit {process.returncode}"]
            return {"error": f"{tail[0][:200]} (memory peak {peak / GIB:.1f} GiB)"}
    return json.loads(lines[-1])


def _high_water_mark(pid: int) -> int:
    """Peak resident bytes of a running process (VmHWM), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _print_outcome(model: str, outcome: dict) -> None:
    if "error" in outcome:
        print(f"    {MODELS[model]}: FAILED: {outcome['error']}", flush=True)
        return
    print(
        f"    {MODELS[model]}: train {outcome['train_seconds']:.1f} s, peak "
        f"{outcome['peak_bytes'] / GIB:.2f} GiB (data {outcome['data_bytes'] / GIB:.2f} GiB), "
        f"serving p99 {outcome['serving']['wall']['p99']:.2f} ms, artifact "
        f"{outcome['model_bytes'] / 1e6:.0f} MB",
        flush=True,
    )


def _results(
    measured: dict[tuple[str, float], dict],
    models: list[str],
    scales: list[float],
    args: argparse.Namespace,
) -> list[Result]:
    """Per scalable model and size: training time, peak and p99 against the baseline at
    the same size when it ran there, else at the largest size where it did."""
    fitted = [s for s in scales if "error" not in measured.get((BASELINE, s), {"error": 1})]
    reference_scale = max(fitted) if fitted else None
    rows: list[Result] = []
    for scale in scales:
        sizes = _sizes(args, scale)
        label = f"{sizes[0]:,} products / {sizes[2] / 1e6:g}M interactions"
        for model in models:
            outcome = measured.get((model, scale))
            if outcome is None:
                continue
            if "error" in outcome:
                rows.append(
                    Result(
                        NAME,
                        f"{MODELS[model]}, {label}",
                        "did not run",
                        0,
                        "-",
                        note=outcome["error"],
                    )
                )
                continue
            same = measured.get((BASELINE, scale), {})
            if "error" not in same and same:
                base, where = same, "same size"
            elif reference_scale is not None:
                base = measured[(BASELINE, reference_scale)]
                reference = _sizes(args, reference_scale)
                where = f"baseline at {reference[0]:,} products (largest size run that finished)"
            else:
                base, where = None, "baseline did not fit at any size"
            rows.extend(_model_rows(f"{MODELS[model]}, {label}", outcome, base, where))
    return rows


def _model_rows(case: str, own: dict, base: dict | None, where: str) -> list[Result]:
    per_million = own["train_seconds"] / (own["nnz"] / 1e6)
    return [
        Result(
            NAME,
            case,
            "training time",
            own["train_seconds"],
            "s",
            base["train_seconds"] if base else None,
            better="lower",
            note=f"{per_million:.1f} s per million visitor-product pairs; vs {where}",
        ),
        Result(
            NAME,
            case,
            "memory peak",
            own["peak_bytes"] / GIB,
            "GiB",
            base["peak_bytes"] / GIB if base else None,
            better="lower",
            note=f"VmHWM of its process; data alone {own['data_bytes'] / GIB:.2f} GiB, "
            f"model {own['model_bytes'] / 1e6:.0f} MB",
        ),
        Result(
            NAME,
            case,
            "serving p99",
            own["serving"]["wall"]["p99"],
            "ms",
            base["serving"]["wall"]["p99"] if base else None,
            better="lower",
            note=f"rank_personal, top 10, {own['serving']['wall']['n']} visitors; wall p50 "
            f"{own['serving']['wall']['p50']:.2f} ms; thread CPU p50 "
            f"{own['serving']['cpu']['p50']:.2f} ms, p99 {own['serving']['cpu']['p99']:.2f} ms",
        ),
    ]


def worker(options: dict) -> dict:
    """Train one model on one data file, in this process, and measure it."""
    cap = options["cap_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import scipy.sparse as sp

    from recommendations.engine.model import TrainedModel, scale_to_unit_max
    from recommendations.ranking import rank_personal

    folder = Path(options["data"])
    indices = np.load(folder / "indices.npy")
    n_visitors, n_products = (int(v) for v in np.load(folder / "shape.npy"))
    # Binary, as training does by default.
    ones = np.ones(len(indices), dtype=np.float32)
    matrix = sp.csr_matrix(
        (ones, indices, np.load(folder / "indptr.npy")), shape=(n_visitors, n_products)
    )
    data_bytes = _maxrss()
    started = time.perf_counter()
    try:
        scorer = _train(options, matrix)
    except MemoryError:
        return {"error": f"MemoryError under the {cap / GIB:.0f} GiB cap"}
    train_seconds = time.perf_counter() - started
    peak = _maxrss()
    popularity = np.bincount(matrix.indices, minlength=n_products).astype(np.float64)
    model = TrainedModel(
        item_ids=np.arange(n_products),
        item_index={},
        neighbours={"model": scorer},
        popularity=scale_to_unit_max(popularity),
        strategy_weights={"model": 1.0},
    )
    rng = np.random.default_rng(options["seed"])
    active = np.flatnonzero(np.diff(matrix.indptr))
    chosen = rng.choice(active, options["requests"] + 100)
    blocked = np.zeros(n_products, dtype=bool)
    wall: list[int] = []
    cpu: list[int] = []
    for n, row in enumerate(chosen.tolist()):
        history = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]][-HISTORY_ITEMS:]
        history = history.astype(np.int64)
        timed(lambda history=history: rank_personal(model, history, 10, blocked=blocked), wall, cpu)
        if n < 100:  # warm-up
            wall.clear()
            cpu.clear()
    return {
        "nnz": int(matrix.nnz),
        "train_seconds": train_seconds,
        "peak_bytes": peak,
        "data_bytes": data_bytes,
        "model_bytes": _scorer_bytes(scorer),
        "serving": {"wall": summary(wall, 1e6), "cpu": summary(cpu, 1e6)},
    }


def _train(options: dict, matrix):
    from recommendations.engine.als import train_als
    from recommendations.engine.item_knn import cosine_similarity, train_item_knn
    from recommendations.engine.neighbours import top_n_neighbours

    model = options["model"]
    if model == BASELINE:
        similarity = cosine_similarity(matrix, shrink=options["shrink"])
        # Reported if the run is stopped: how far it got, and how big the gram is.
        print(
            f"full gram built: {similarity.nnz:,} entries, "
            f"{(similarity.data.nbytes + similarity.indices.nbytes) / GIB:.1f} GiB, "
            f"peak {_maxrss() / GIB:.1f} GiB; top-N per row running",
            file=sys.stderr,
            flush=True,
        )
        return top_n_neighbours(similarity, options["neighbours"])
    if model == "item_knn_bm25":
        return train_item_knn(
            matrix, n_neighbours=options["neighbours"], shrink=options["shrink"], weighting="bm25"
        )
    return train_als(
        matrix,
        factors=options["factors"],
        iterations=options["iterations"],
        seed=options["seed"],
        threads=options["threads"],
    )


def _scorer_bytes(scorer) -> int:
    if hasattr(scorer, "factors"):
        return int(scorer.factors.nbytes + scorer.gram.nbytes)
    indices = 0 if scorer.indices is None else scorer.indices.nbytes
    return int(scorer.weights.nbytes + indices)


def _maxrss() -> int:
    """Peak resident bytes of this process. Not ru_maxrss: Linux carries it over from the
    forked parent across exec, so a worker would report the parent's data generation."""
    return _high_water_mark(os.getpid())


if __name__ == "__main__":
    print(json.dumps(worker(json.loads(sys.argv[1]))), flush=True)
