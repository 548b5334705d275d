"""Run the ML segmentation: fit clusters on visitor features, store the run, and make each
cluster a segment (kind "cluster") with materialized memberships, usable in targeting."""

import time
from datetime import datetime

import numpy as np
from django.db import transaction

from core import clock
from core.config_version import bump_config_version
from segments.cluster_features import build_features
from segments.clustering import OUTLIERS, Cluster, ClusteringResult, cluster
from segments.memberships import replace_memberships
from segments.models import ClusteringRun, Segment

KEY_PREFIX = "cluster-"
RANDOM_STATE = 0


class ClusteringError(ValueError):
    """The clustering cannot run (too few visitors, a key taken by another segment)."""


def cluster_segment_key(label: int) -> str:
    return f"{KEY_PREFIX}outliers" if label == OUTLIERS else f"{KEY_PREFIX}{label}"


def run_clustering(
    *,
    algorithm: str = "kmeans",
    k_min: int = 2,
    k_max: int = 10,
    pca_components: int | None = None,
    purchasers_only: bool = True,
    top_interests: int = 5,
    dbscan_eps: float | None = None,
    dbscan_min_samples: int = 10,
    now: datetime | None = None,
) -> ClusteringRun:
    """Cluster visitors (purchasers by default), store the run as the current one and
    replace the cluster segments and their members; clusters that disappeared leave
    their segment inactive and empty.

    The fit runs before the transaction so no lock is held while scikit-learn works.
    """
    now = now or clock.now()
    started = time.monotonic()
    matrix = build_features(now=now, purchasers_only=purchasers_only, top_interests=top_interests)
    if len(matrix) <= k_min:
        raise ClusteringError(f"need more than {k_min} visitors to cluster, found {len(matrix)}")
    result = cluster(
        matrix.features,
        matrix.feature_names,
        algorithm=algorithm,
        k_range=(k_min, k_max),
        pca_components=pca_components,
        random_state=RANDOM_STATE,
        log_features=matrix.log_features,
        weights=matrix.weights,
        dbscan_eps=dbscan_eps,
        dbscan_min_samples=dbscan_min_samples,
    )
    parameters = {
        **result.parameters,
        "purchasers_only": purchasers_only,
        "top_interests": top_interests,
        "as_of": now.isoformat(),
    }
    with transaction.atomic():
        ClusteringRun.objects.filter(is_current=True).update(is_current=False)
        run = ClusteringRun.objects.create(
            algorithm=algorithm,
            parameters=parameters,
            features=matrix.feature_names,
            k=result.k,
            silhouette=result.silhouette,
            scores_by_k={str(k): scores for k, scores in result.scores_by_k.items()},
            clusters=[_cluster_json(c) for c in result.clusters],
            visitors=len(matrix),
            is_current=True,
        )
        _materialize(run=run, result=result, visitor_ids=matrix.visitor_ids, now=now)
        # New cluster memberships: every cached real-time view is rebuilt on next use.
        transaction.on_commit(bump_config_version)
        run.duration_ms = round((time.monotonic() - started) * 1000)
        run.save(update_fields=["duration_ms"])
    return run


def _materialize(
    *, run: ClusteringRun, result: ClusteringResult, visitor_ids: list[str], now: datetime
) -> None:
    ids = np.array(visitor_ids, dtype=object)
    keys = {cluster_segment_key(c.label): c for c in result.clusters}
    taken = list(
        Segment.objects.filter(key__in=keys)
        .exclude(kind=Segment.Kind.CLUSTER)
        .values_list("key", flat=True)
    )
    if taken:
        raise ClusteringError(f"segment keys already used by non-cluster segments: {taken}")
    for key, group in keys.items():
        segment, _ = Segment.objects.update_or_create(
            key=key,
            defaults={
                "kind": Segment.Kind.CLUSTER,
                "name": f"Cluster {group.label}: {group.name}"[:200]
                if group.label != OUTLIERS
                else "Cluster outliers",
                "description": group.description,
                "rule": None,
                "cluster_run": run,
                "cluster_label": group.label,
                "is_active": True,
            },
        )
        replace_memberships(
            segment=segment, member_ids=ids[result.labels == group.label].tolist(), now=now
        )
    stale = Segment.objects.filter(kind=Segment.Kind.CLUSTER).exclude(key__in=keys)
    for segment in stale:
        if segment.is_active or segment.size:
            Segment.objects.filter(pk=segment.pk).update(is_active=False)
            replace_memberships(segment=segment, member_ids=(), now=now)


def _cluster_json(group: Cluster) -> dict:
    return {
        "label": group.label,
        "key": cluster_segment_key(group.label),
        "size": group.size,
        "centroid": group.centroid,
        "name": group.name,
        "description": group.description,
    }
