"""Pure clustering: k chosen by silhouette, readable centroids, DBSCAN and PCA options."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from segments.clustering import OUTLIERS, FeatureReference, cluster, describe_centroid

NAMES = ["recency_days", "frequency", "monetary"]
LOGGED = NAMES


def blobs(seed: int = 7, per_group: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Three customer types, well apart in log space: champions, lapsed big
    spenders, and recent low-value newcomers."""
    rng = np.random.default_rng(seed)

    def group(recency: float, frequency: float, monetary: float) -> np.ndarray:
        return np.column_stack(
            [
                rng.lognormal(np.log(recency), 0.15, per_group),
                rng.lognormal(np.log(frequency), 0.15, per_group),
                rng.lognormal(np.log(monetary), 0.15, per_group),
            ]
        )

    features = np.vstack([group(5, 20, 5000), group(300, 2, 5000), group(5, 1.2, 40)])
    truth = np.repeat([0, 1, 2], per_group)
    return features, truth


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_silhouette_picks_the_three_groups():
    features, truth = blobs()

    result = cluster(features, NAMES, k_range=(2, 8), log_features=LOGGED)

    assert result.k == 3
    assert set(result.scores_by_k) == set(range(2, 9))
    assert result.silhouette == max(s["silhouette"] for s in result.scores_by_k.values())
    assert all(s["inertia"] > 0 for s in result.scores_by_k.values())
    inertias = [result.scores_by_k[k]["inertia"] for k in range(2, 9)]
    assert inertias == sorted(inertias, reverse=True)
    assert same_partition(result.labels, truth)
    assert sorted(result.sizes.values()) == [120, 120, 120]
    assert result.parameters["model"] == "KMeans"


def test_centroids_are_in_original_units_and_descriptions_name_the_extremes():
    features, truth = blobs()

    result = cluster(features, NAMES, k_range=(2, 6), log_features=LOGGED)

    by_truth = {}
    for group in result.clusters:
        members = truth[result.labels == group.label]
        by_truth[int(np.bincount(members).argmax())] = group
    champions, lapsed, newcomers = by_truth[0], by_truth[1], by_truth[2]
    # Geometric-style centre of lognormal(log 5000, .15): close to 5000, not its log.
    assert champions.centroid["monetary"] == pytest.approx(5000, rel=0.1)
    assert lapsed.centroid["recency_days"] == pytest.approx(300, rel=0.1)
    assert "recent" in champions.name and "high frequency" in champions.name
    assert champions.name.endswith("champions-like")
    assert "lapsed" in lapsed.name and "high monetary" in lapsed.name
    assert lapsed.name.endswith("lapsed high value-like")
    assert "low monetary" in newcomers.name and newcomers.name.endswith("new-like")
    assert "recent" in newcomers.description
    assert "high monetary (monetary " in champions.description


def test_describe_centroid_reads_shares_flags_and_unknown_features():
    rng = np.random.default_rng(1)
    features = np.column_stack(
        [
            rng.normal(0, 1, 500),
            (rng.random(500) < 0.2) * 0.5,
            (rng.random(500) < 0.3).astype(float),
        ]
    )
    reference = FeatureReference.of(features)
    names = ["basket", "interest_garden", "device_mobile"]

    def text(*centroid: float) -> str:
        return describe_centroid(np.array(centroid), reference, names)

    assert set(text(3.0, 0.4, 0.3).split(", ")) == {"high basket", "into garden"}
    assert text(0.0, 0.1, 0.32) == "average on every feature"
    assert text(0.0, 0.0, 0.9) == "mobile"
    assert text(0.0, 0.0, 0.0) == "desktop"


def test_same_seed_same_result_and_labels_are_largest_first():
    features, _ = blobs()
    features = np.vstack([features, features[:40] * 1.01])

    first = cluster(features, NAMES, k_range=(2, 5), log_features=LOGGED, random_state=3)
    second = cluster(features, NAMES, k_range=(2, 5), log_features=LOGGED, random_state=3)

    assert np.array_equal(first.labels, second.labels)
    assert first.scores_by_k == second.scores_by_k
    assert [c.name for c in first.clusters] == [c.name for c in second.clusters]
    sizes = [c.size for c in first.clusters]
    assert sizes == sorted(sizes, reverse=True) and first.clusters[0].label == 0


def test_pca_option_clusters_in_fewer_dimensions_and_reports_all_features():
    features, truth = blobs()
    rng = np.random.default_rng(0)
    noisy = np.column_stack([features, rng.normal(0, 1, (len(features), 3))])
    names = [*NAMES, "noise_a", "noise_b", "noise_c"]

    result = cluster(noisy, names, k_range=(2, 6), log_features=LOGGED, pca_components=2)

    assert result.parameters["pca_components"] == 2
    assert len(result.parameters["pca_explained_variance"]) == 2
    assert len(result.parameters["centers"][0]) == 2
    assert result.k == 3 and adjusted_rand_score(truth, result.labels) > 0.95
    assert set(result.clusters[0].centroid) == set(names)


def test_dbscan_finds_the_groups_and_keeps_noise_as_outliers():
    features, truth = blobs()
    features = np.vstack([features, [[5000.0, 400.0, 1.0]]])

    result = cluster(features, NAMES, algorithm="dbscan", log_features=LOGGED, dbscan_min_samples=5)

    assert result.algorithm == "dbscan" and result.k == 3
    assert result.scores_by_k == {}
    assert result.labels[-1] == OUTLIERS
    assert result.clusters[-1].label == OUTLIERS
    assert result.clusters[-1].name.startswith("outliers")
    assert sum(c.size for c in result.clusters) == len(features)
    core = result.labels[:-1] != OUTLIERS
    assert same_partition(result.labels[:-1][core], truth[core])
    assert result.silhouette is not None and result.silhouette > 0.5


def test_minibatch_above_the_threshold():
    features, truth = blobs()

    result = cluster(
        features,
        NAMES,
        k_range=(2, 4),
        log_features=LOGGED,
        sample_size_for_silhouette=150,
        minibatch_above=100,
    )

    assert result.parameters["model"] == "MiniBatchKMeans"
    assert result.parameters["silhouette_sample"] == 150
    assert result.k == 3 and same_partition(result.labels, truth)


@pytest.mark.parametrize(
    ("features", "kwargs", "message"),
    [
        (np.ones((5, 2)), {}, "one column per feature"),
        (np.array([[1.0, 2.0, np.nan]] * 5), {}, "NaN"),
        (np.ones((2, 3)), {}, "more than 2 rows"),
        (np.ones((5, 3)), {"k_range": (1, 3)}, "k_range"),
        (np.ones((5, 3)), {"algorithm": "spectral"}, "unknown algorithm"),
        (-np.ones((5, 3)), {"log_features": ["monetary"]}, "non-negative"),
    ],
)
def test_bad_input_is_rejected(features, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cluster(features, NAMES, **kwargs)
