"""ML segments end to end: features from profiles, a stored run, cluster segments with
materialized memberships, clean replacement on re-runs, the task and the command."""

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.management import call_command

from segments.cluster_features import build_features
from segments.clustering_service import ClusteringError, run_clustering
from segments.clustering_tasks import run_clustering_task
from segments.models import ClusteringRun, Segment, SegmentMembership
from tracking.decay import log_weight
from tracking.models import VisitorProfile

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
# (prefix, recency days, orders, revenue, interest category, device)
GROUPS = {
    "champ": (3, 25, 6000.0, "outdoor", "mobile"),
    "lapsed": (300, 1, 40.0, "kitchen", "desktop"),
    "regular": (40, 4, 500.0, "books", "desktop"),
}


def make_profiles(groups: dict = GROUPS, per_group: int = 100, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    profiles = []
    for prefix, (recency, orders, revenue, category, device) in groups.items():
        for i in range(per_group):
            last = NOW - timedelta(days=float(recency * rng.uniform(0.8, 1.25)))
            count = max(1, round(orders * rng.uniform(0.8, 1.25)))
            profiles.append(
                VisitorProfile(
                    visitor_id=f"{prefix}-{i}",
                    bucketing_id=f"{prefix}-{i}",
                    orders=count,
                    revenue=round(revenue * rng.uniform(0.8, 1.25), 2),
                    first_purchase_at=last - timedelta(days=30 * count),
                    last_purchase_at=last,
                    engagement_log2=log_weight(10.0 * count, last, 7.0),
                    interest={category: log_weight(5.0, last, 14.0)},
                    last_context={"device": device},
                )
            )
    profiles.append(VisitorProfile(visitor_id="browser", bucketing_id="browser"))
    VisitorProfile.objects.bulk_create(profiles)


def open_members(segment: Segment) -> set[str]:
    return set(
        SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).values_list(
            "visitor_id", flat=True
        )
    )


@pytest.mark.django_db
def test_features_are_read_per_visitor():
    make_profiles(per_group=3)

    matrix = build_features(now=NOW)

    assert len(matrix) == 9 and "browser" not in matrix.visitor_ids
    row = dict(
        zip(
            matrix.feature_names,
            matrix.features[matrix.visitor_ids.index("champ-0")],
            strict=True,
        )
    )
    assert 2 < row["recency_days"] < 4 and row["frequency"] >= 20
    assert row["average_order_value"] == pytest.approx(row["monetary"] / row["frequency"])
    assert row["interest_outdoor"] == 1.0 and row["interest_kitchen"] == 0.0
    assert row["device_mobile"] == 1.0 and row["engagement"] > 0
    assert set(matrix.weights) == {"interest_outdoor", "interest_kitchen", "interest_books"}
    everyone = build_features(now=NOW, purchasers_only=False)
    browser = dict(
        zip(
            everyone.feature_names,
            everyone.features[everyone.visitor_ids.index("browser")],
            strict=True,
        )
    )
    assert browser["frequency"] == 0 and browser["recency_days"] == everyone.features[:, 0].max()


@pytest.mark.django_db
def test_run_stores_the_model_and_one_segment_per_cluster():
    make_profiles()

    run = run_clustering(k_min=2, k_max=6, now=NOW)

    run.refresh_from_db()
    assert run.is_current and run.k == 3 and run.visitors == 300
    assert run.silhouette == max(s["silhouette"] for s in run.scores_by_k.values())
    assert set(run.scores_by_k) == {"2", "3", "4", "5", "6"}
    assert all(s["inertia"] > 0 for s in run.scores_by_k.values())
    assert run.parameters["model"] == "KMeans" and "recency_days" in run.features
    segments = Segment.objects.filter(kind=Segment.Kind.CLUSTER).order_by("cluster_label")
    assert [s.key for s in segments] == ["cluster-0", "cluster-1", "cluster-2"]
    for segment, stored in zip(segments, run.clusters, strict=True):
        members = open_members(segment)
        assert segment.cluster_run == run and segment.rule is None and segment.is_active
        assert segment.size == stored["size"] == len(members) == 100
        # Each cluster is exactly one behaviour group.
        assert len({visitor.split("-")[0] for visitor in members}) == 1
        assert segment.name.startswith(f"Cluster {segment.cluster_label}: ")
        assert segment.description == stored["description"]
    champions = Segment.objects.get(memberships__visitor_id="champ-0")
    assert "champions-like" in champions.name and "into outdoor" in champions.description


@pytest.mark.django_db
def test_rerun_replaces_segments_and_retires_vanished_clusters():
    make_profiles()
    first = run_clustering(k_min=2, k_max=6, now=NOW)
    ids_before = set(Segment.objects.values_list("pk", flat=True))

    again = run_clustering(k_min=2, k_max=6, now=NOW + timedelta(hours=1))

    assert set(Segment.objects.values_list("pk", flat=True)) == ids_before
    assert not SegmentMembership.objects.filter(left_at__isnull=False).exists()
    assert list(ClusteringRun.objects.filter(is_current=True)) == [again]
    first.refresh_from_db()
    assert not first.is_current

    VisitorProfile.objects.filter(visitor_id__startswith="regular").delete()
    last = run_clustering(k_min=2, k_max=6, now=NOW + timedelta(hours=2))

    assert last.k == 2
    retired = Segment.objects.get(key="cluster-2")
    assert not retired.is_active and retired.size == 0 and not open_members(retired)
    active = Segment.objects.filter(kind=Segment.Kind.CLUSTER, is_active=True)
    assert sorted(s.size for s in active) == [100, 100]
    assert all(s.cluster_run == last for s in active)
    assert not any(m.startswith("regular") for s in active for m in open_members(s))


@pytest.mark.django_db
def test_dbscan_run_and_guards():
    make_profiles()
    Segment.objects.create(key="cluster-0", name="Hand made", rule={})

    with pytest.raises(ClusteringError, match="non-cluster"):
        run_clustering(algorithm="dbscan", dbscan_min_samples=20, now=NOW)

    Segment.objects.filter(key="cluster-0").delete()
    run = run_clustering(algorithm="dbscan", dbscan_min_samples=20, now=NOW)
    assert run.algorithm == "dbscan" and run.k == 3 and run.scores_by_k == {}
    assert sum(c["size"] for c in run.clusters) == 300


@pytest.mark.django_db
def test_too_few_visitors_is_an_error():
    make_profiles(per_group=1)

    with pytest.raises(ClusteringError, match="more than 4"):
        run_clustering(k_min=4, now=NOW)


@pytest.mark.django_db
def test_task_and_command_run_the_service():
    make_profiles(per_group=40)

    run_id = run_clustering_task.delay(k_min=2, k_max=4).get()
    out = io.StringIO()
    call_command("cluster_visitors", "--k-max", "4", stdout=out)
    shown = io.StringIO()
    call_command("cluster_visitors", "--show", stdout=shown)

    assert ClusteringRun.objects.filter(pk=run_id, is_current=False).exists()
    text = out.getvalue()
    assert "silhouette" in text and "<- chosen" in text and "cluster-0" in text
    assert shown.getvalue() == text
