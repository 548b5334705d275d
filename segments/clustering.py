"""Customer clustering with scikit-learn: a feature matrix in, labels and readable clusters out.

Pure computation (no Django) so it can be tested on synthetic data and benchmarked alone;
`segments.cluster_features` builds the matrix and `segments.clustering_service` stores the
result as segments.

Pipeline: log1p on the skewed columns (monetary, frequency, recency... are long-tailed, and
without it a handful of big spenders would be clusters of their own), StandardScaler,
optional PCA, then k-means for every k of a range keeping the best silhouette (KMeans
below `MINIBATCH_ABOVE` rows, MiniBatchKMeans above), or DBSCAN.

Silhouettes are computed on one random sample shared by every k, so the scores compare
like with like and the cost stays bounded on large inputs.

DBSCAN noise (label -1) is kept as its own "outliers" group (`OUTLIERS`), so every visitor
belongs to exactly one cluster; silhouette then excludes the noise points.

Centroids are reported in the original units as the mean of each cluster's members in
the scaled log space, transformed back: for a logged column that is the typical member
(a geometric-style mean), not an arithmetic mean pulled up by the largest values. With
PCA this keeps the components PCA dropped, which reconstructing its centres would lose.
"""

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.cluster import DBSCAN, KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from tracking.rfm import label as rfm_label

MINIBATCH_ABOVE = 20_000
MINIBATCH_SIZE = 4096
OUTLIERS = -1
# A centroid is "high" on a feature above this percentile of all rows, "low" below 1 - it.
# Centroids are averages, so big clusters sit near the middle: terciles would hide them.
NOTABLE_RANK = 0.6
NOTABLE_LIFT = 1.5
NOTABLE_SHARE_GAP = 0.05
SHORT_TRAITS = 3
QUANTILES = np.linspace(0.0, 1.0, 101)
# Friendlier words for the customer features of `segments.cluster_features`; any other
# column reads "high <name>" / "low <name>".
TRAIT_WORDS = {
    "recency_days": ("lapsed", "recent"),
    "frequency": ("high frequency", "low frequency"),
    "monetary": ("high monetary", "low monetary"),
    "average_order_value": ("high order value", "low order value"),
    "tenure_days": ("long-standing", "short tenure"),
    "engagement": ("highly engaged", "low engagement"),
    "device_mobile": ("mobile", "desktop"),
}
INTEREST_PREFIX = "interest_"
RFM_FEATURES = ("recency_days", "frequency", "monetary")
# The columns `segments.cluster_features` builds, named here (pure) so the benchmark's
# synthetic customers use the same list.
BASE_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "average_order_value",
    "tenure_days",
    "engagement",
)
LOG_FEATURES = ("recency_days", "frequency", "monetary", "average_order_value", "engagement")
DEVICE_FEATURE = "device_mobile"


def feature_names(top_categories: Sequence[str]) -> list[str]:
    """The feature columns for these top-level interest categories, in matrix order."""
    return [*BASE_FEATURES, *(INTEREST_PREFIX + c for c in top_categories), DEVICE_FEATURE]


@dataclass(frozen=True)
class Cluster:
    """One group: its label, size, centroid in original units and readable text."""

    label: int
    size: int
    centroid: dict[str, float]
    name: str
    description: str


@dataclass(frozen=True)
class ClusteringResult:
    """Labels of every row plus what is needed to store, show and judge the model.

    `scores_by_k` maps each tried k to {"silhouette", "inertia"} (k-means only).
    `centroids` rows follow `clusters` (largest first).
    """

    algorithm: str
    labels: np.ndarray
    k: int
    silhouette: float | None
    scores_by_k: dict[int, dict[str, float | None]]
    clusters: list[Cluster]
    centroids: np.ndarray
    feature_names: list[str]
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def sizes(self) -> dict[int, int]:
        return {cluster.label: cluster.size for cluster in self.clusters}


def cluster(
    features: np.ndarray,
    feature_names: Sequence[str],
    *,
    algorithm: str = "kmeans",
    k_range: tuple[int, int] = (2, 10),
    pca_components: int | None = None,
    random_state: int = 0,
    sample_size_for_silhouette: int = 10_000,
    minibatch_above: int = MINIBATCH_ABOVE,
    log_features: Collection[str] = (),
    weights: Mapping[str, float] | None = None,
    dbscan_eps: float | None = None,
    dbscan_min_samples: int = 10,
) -> ClusteringResult:
    """Cluster the rows of `features` (one column per name in `feature_names`).

    `k_range` is inclusive; MiniBatchKMeans replaces KMeans above `minibatch_above` rows.
    `log_features` names the non-negative, skewed columns to log1p before scaling.
    `weights` multiplies scaled columns (default 1), e.g. so a block of related columns
    weighs like one feature in distances. `dbscan_eps=None` estimates eps as the 90th
    percentile of the distance to the `dbscan_min_samples`-th neighbour (most rows become
    core points).
    """
    data = np.asarray(features, dtype=float)
    names = list(feature_names)
    if data.ndim != 2 or data.shape[1] != len(names):
        raise ValueError("features must be a 2-D array with one column per feature name")
    if not np.isfinite(data).all():
        raise ValueError("features contain NaN or infinite values")
    if algorithm not in {"kmeans", "dbscan"}:
        raise ValueError(f"unknown algorithm {algorithm!r}; use 'kmeans' or 'dbscan'")
    k_min, k_max = k_range
    if k_min < 2 or k_max < k_min:
        raise ValueError("k_range must satisfy 2 <= k_min <= k_max")
    if len(data) <= k_min:
        raise ValueError(f"need more than {k_min} rows to cluster, got {len(data)}")

    logged = [name for name in names if name in set(log_features)]
    log_mask = np.array([name in logged for name in names], dtype=bool)
    if (data[:, log_mask] < 0).any():
        raise ValueError(f"log-transformed features must be non-negative: {logged}")
    scaler = StandardScaler()
    weight = np.array([(weights or {}).get(name, 1.0) for name in names], dtype=float)
    if (weight <= 0).any():
        raise ValueError("feature weights must be positive")
    scaled = scaler.fit_transform(_log1p(data, log_mask)) * weight
    space, pca = scaled, None
    if pca_components is not None:
        pca = PCA(n_components=min(pca_components, *scaled.shape), random_state=random_state)
        space = pca.fit_transform(scaled)

    rng = np.random.default_rng(random_state)
    sample = (
        np.sort(rng.choice(len(space), sample_size_for_silhouette, replace=False))
        if len(space) > sample_size_for_silhouette
        else np.arange(len(space))
    )
    parameters: dict[str, Any] = {
        "algorithm": algorithm,
        "log_features": logged,
        "scaler": "StandardScaler",
        "pca_components": pca.n_components_ if pca else None,
        "random_state": random_state,
        "silhouette_sample": len(sample),
        "rows": len(data),
    }
    if pca is not None:
        parameters["pca_explained_variance"] = [
            round(float(v), 4) for v in pca.explained_variance_ratio_
        ]

    if algorithm == "kmeans":
        labels, k, scores, model_info = _kmeans_over_range(
            space,
            sample,
            range(k_min, min(k_max, len(space) - 1) + 1),
            random_state,
            large=len(space) > minibatch_above,
        )
        best = scores[k]["silhouette"]
    else:
        labels, model_info = _dbscan(space, dbscan_eps, dbscan_min_samples, sample)
        k = len({int(label) for label in labels} - {OUTLIERS})
        scores = {}
        best = _silhouette(space, labels, sample, exclude_noise=True)
    parameters.update(model_info)
    parameters["scaler_mean"] = _rounded(scaler.mean_)
    parameters["scaler_scale"] = _rounded(scaler.scale_)
    parameters["weights"] = {n: _round(w) for n, w in zip(names, weight, strict=True) if w != 1}

    labels, kept = _largest_first(labels)
    if "centers" in parameters:
        parameters["centers"] = [parameters["centers"][old] for old in kept]
    clusters, centroids = _summaries(
        labels, scaled / weight, scaler, log_mask, names, FeatureReference.of(data, log_mask)
    )
    return ClusteringResult(
        algorithm=algorithm,
        labels=labels,
        k=k,
        silhouette=best,
        scores_by_k=scores,
        clusters=clusters,
        centroids=centroids,
        feature_names=names,
        parameters=parameters,
    )


def _largest_first(labels: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Relabel clusters 0, 1, ... by decreasing size (noise stays -1), so label 0 is the
    biggest group whatever the fit's numbering; also returns the old label of each."""
    found, counts = np.unique(labels, return_counts=True)
    kept = [int(old) for _, old in sorted(zip(-counts, found, strict=True)) if old != OUTLIERS]
    mapping = np.full(int(found.max()) + 2, OUTLIERS)
    mapping[np.array(kept, dtype=int) + 1] = np.arange(len(kept))
    return mapping[labels + 1], kept


def _summaries(
    labels: np.ndarray,
    scaled: np.ndarray,
    scaler: StandardScaler,
    log_mask: np.ndarray,
    names: list[str],
    reference: "FeatureReference",
) -> tuple[list[Cluster], np.ndarray]:
    """Each group's size, centroid in original units and description, noise last."""
    groups = sorted({int(v) for v in labels}, key=lambda lab: (lab == OUTLIERS, lab))
    clusters, centroids = [], []
    for lab in groups:
        members = labels == lab
        centre = _inverse(scaled[members].mean(axis=0), scaler, log_mask)
        centroids.append(centre)
        clusters.append(
            Cluster(
                label=lab,
                size=int(members.sum()),
                centroid={n: _round(float(v)) for n, v in zip(names, centre, strict=True)},
                name="outliers (DBSCAN noise)"
                if lab == OUTLIERS
                else describe_centroid(centre, reference, names),
                description=explain_centroid(centre, reference, names),
            )
        )
    return clusters, np.array(centroids)


@dataclass(frozen=True)
class FeatureReference:
    """The whole population a centroid is described against: percentiles 0..100 of every
    column (101 x n_features), column means, and the population's own centroid ranks.

    A centroid of logged columns is a log-space mean, which on a long-tailed column sits
    above the median even for everyone together; `levels` measure a centroid from where
    the whole population's centroid sits, so a cluster of nearly everyone reads as
    average rather than "high".
    """

    quantiles: np.ndarray
    means: np.ndarray
    centre_ranks: np.ndarray

    @classmethod
    def of(cls, features: np.ndarray, log_mask: np.ndarray | None = None) -> "FeatureReference":
        data = np.asarray(features, dtype=float)
        mask = np.zeros(data.shape[1], dtype=bool) if log_mask is None else log_mask
        centre = data.mean(axis=0)
        centre[mask] = np.expm1(np.log1p(data[:, mask]).mean(axis=0))
        quantiles = np.quantile(data, QUANTILES, axis=0)
        return cls(
            quantiles=quantiles,
            means=data.mean(axis=0),
            centre_ranks=_midranks(centre, quantiles),
        )

    def is_flag(self, column: int) -> bool:
        """Whether the column only holds 0 and 1 (as far as its percentiles show)."""
        return set(np.unique(self.quantiles[:, column]).tolist()) <= {0.0, 1.0}

    def percentile_ranks(self, centroid: np.ndarray) -> np.ndarray:
        """Where each centroid value sits among all rows, 0..1; ties count half, so a value
        most rows share (one order) reads as the middle of its run, not its edge."""
        return _midranks(np.asarray(centroid, dtype=float), self.quantiles)

    def levels(self, centroid: np.ndarray) -> np.ndarray:
        """Percentile ranks shifted so the population's own centroid is 0.5."""
        shifted: np.ndarray = np.clip(
            self.percentile_ranks(centroid) - self.centre_ranks + 0.5, 0.0, 1.0
        )
        return shifted


def _midranks(values: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    ranks = []
    for j, value in enumerate(values):
        column = quantiles[:, j]
        below = np.searchsorted(column, value, side="left")
        at_or_below = np.searchsorted(column, value, side="right")
        ranks.append((below + at_or_below) / (2 * len(column)))
    return np.array(ranks)


@dataclass(frozen=True)
class Trait:
    feature: str
    word: str
    rank: float
    strength: float


def describe_centroid(
    centroid: np.ndarray, reference: FeatureReference, feature_names: Sequence[str]
) -> str:
    """Short readable text: the most distinctive traits, then an RFM-like persona,
    e.g. "recent, high frequency, high monetary: champions-like"."""
    traits = centroid_traits(centroid, reference, feature_names)
    words = [trait.word for trait in traits[:SHORT_TRAITS]] or ["average on every feature"]
    persona = _persona(centroid, reference, feature_names)
    return f"{', '.join(words)}: {persona}" if persona else ", ".join(words)


def explain_centroid(
    centroid: np.ndarray, reference: FeatureReference, feature_names: Sequence[str]
) -> str:
    """Long text: every notable trait with the centroid value and its percentile."""
    values = dict(zip(feature_names, np.asarray(centroid, dtype=float), strict=True))
    parts = [
        f"{trait.word} ({trait.feature} {_round(values[trait.feature])}, "
        f"p{round(trait.rank * 100)})"
        for trait in centroid_traits(centroid, reference, feature_names)
    ]
    text = "; ".join(parts) if parts else "close to the median on every feature"
    persona = _persona(centroid, reference, feature_names)
    return f"{persona.capitalize()}: {text}." if persona else f"{text[0].upper()}{text[1:]}."


def centroid_traits(
    centroid: np.ndarray, reference: FeatureReference, feature_names: Sequence[str]
) -> list[Trait]:
    """The features a centroid stands out on, most distinctive first.

    A feature is notable when the centroid's level (its percentile among all rows, read
    from the population's centroid, see `FeatureReference`) is above `NOTABLE_RANK` or
    below its mirror; the percentile itself is kept for display. Shares (`interest_*`
    columns and 0/1 flags) are mostly zero, so ranks mislead there: they are notable at
    `NOTABLE_LIFT` times the overall mean or 1/`NOTABLE_LIFT` of it, and at least
    `NOTABLE_SHARE_GAP` apart; for interest only the high side is worth saying.
    """
    ranks, levels = reference.percentile_ranks(centroid), reference.levels(centroid)
    found = []
    for j, name in enumerate(feature_names):
        value, rank, mean = float(centroid[j]), float(ranks[j]), float(reference.means[j])
        level = float(levels[j])
        high_word, low_word = TRAIT_WORDS.get(name, (f"high {name}", f"low {name}"))
        is_interest = name.startswith(INTEREST_PREFIX)
        if is_interest or reference.is_flag(j):
            if mean <= 0 or abs(value - mean) < NOTABLE_SHARE_GAP:
                continue
            lift = max(value / mean, 1e-9)
            if lift >= NOTABLE_LIFT:
                word = f"into {name.removeprefix(INTEREST_PREFIX)}" if is_interest else high_word
            elif lift <= 1 / NOTABLE_LIFT and not is_interest:
                word = low_word
            else:
                continue
            # A doubled (halved) share weighs like a feature at its 75th (25th) percentile.
            found.append(Trait(name, word, rank, min(0.5, abs(math.log2(lift)) / 4)))
            continue
        if 1 - NOTABLE_RANK < level < NOTABLE_RANK:
            continue
        word = high_word if level >= 0.5 else low_word
        found.append(Trait(name, word, rank, abs(level - 0.5)))
    found.sort(key=lambda trait: -trait.strength)
    return found


def _persona(
    centroid: np.ndarray, reference: FeatureReference, feature_names: Sequence[str]
) -> str:
    """The classic RFM label (`tracking.rfm.label`) of the centroid's quintiles, so cluster
    names use the same vocabulary as the RFM segments; none for a centroid that is
    average on all three (the label of a 3-3-3 score, "loyal", would overstate it)."""
    names = list(feature_names)
    if not set(RFM_FEATURES) <= set(names):
        return ""
    levels = reference.levels(centroid)
    rfm_levels = [levels[names.index(name)] for name in RFM_FEATURES]
    if all(1 - NOTABLE_RANK < level < NOTABLE_RANK for level in rfm_levels):
        return ""

    def quintile(name: str) -> int:
        return 1 + min(4, int(levels[names.index(name)] * 5))

    found = rfm_label(6 - quintile("recency_days"), quintile("frequency"), quintile("monetary"))
    return f"{found.replace('_', ' ')}-like" if found else ""


def _kmeans_over_range(
    space: np.ndarray, sample: np.ndarray, ks: range, random_state: int, *, large: bool
) -> tuple[np.ndarray, int, dict[int, dict[str, float | None]], dict[str, Any]]:
    scores: dict[int, dict[str, float | None]] = {}
    best: tuple[float, int, np.ndarray, np.ndarray] | None = None
    for k in ks:
        if large:
            model = MiniBatchKMeans(
                n_clusters=k, batch_size=MINIBATCH_SIZE, n_init=3, random_state=random_state
            )
        else:
            model = KMeans(n_clusters=k, n_init="auto", random_state=random_state)
        labels = model.fit_predict(space)
        silhouette = _silhouette(space, labels, sample)
        scores[k] = {"silhouette": silhouette, "inertia": round(float(model.inertia_), 4)}
        score = silhouette if silhouette is not None else -1.0
        if best is None or score > best[0]:
            best = (score, k, labels, model.cluster_centers_)
    if best is None:
        raise ValueError("no k in the range can be fitted on so few rows")
    _, k, labels, centers = best
    info = {
        "model": "MiniBatchKMeans" if large else "KMeans",
        "k_range": [ks.start, ks.stop - 1],
        "selection": "max silhouette",
        "centers": [_rounded(center) for center in centers],
    }
    return labels, k, scores, info


def _dbscan(
    space: np.ndarray, eps: float | None, min_samples: int, sample: np.ndarray
) -> tuple[np.ndarray, dict[str, Any]]:
    if eps is None:
        neighbours = NearestNeighbors(n_neighbors=min(min_samples, len(sample))).fit(space)
        distances, _ = neighbours.kneighbors(space[sample])
        eps = max(float(np.quantile(distances[:, -1], 0.9)), 1e-6)
    labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(space)
    info = {
        "model": "DBSCAN",
        "eps": round(eps, 6),
        "min_samples": min_samples,
        "noise": int((labels == OUTLIERS).sum()),
        "noise_handling": "kept as the 'outliers' group (label -1)",
    }
    return labels, info


def _silhouette(
    space: np.ndarray, labels: np.ndarray, sample: np.ndarray, *, exclude_noise: bool = False
) -> float | None:
    """Silhouette on the shared sample; None when it is undefined (one group)."""
    points, groups = space[sample], labels[sample]
    if exclude_noise:
        keep = groups != OUTLIERS
        points, groups = points[keep], groups[keep]
    if not 2 <= len(set(groups.tolist())) < len(groups):
        return None
    return round(float(silhouette_score(points, groups)), 4)


def _log1p(data: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = data.copy()
    out[:, mask] = np.log1p(out[:, mask])
    return out


def _inverse(point: np.ndarray, scaler: StandardScaler, mask: np.ndarray) -> np.ndarray:
    out: np.ndarray = scaler.inverse_transform(point.reshape(1, -1))[0]
    out[mask] = np.expm1(out[mask])
    return out


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _rounded(values: np.ndarray) -> list[float]:
    return [_round(float(v)) for v in values]
