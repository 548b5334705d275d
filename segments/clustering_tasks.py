"""Celery task of the ML segmentation (imported by `segments.tasks` for autodiscovery)."""

from celery import shared_task

from segments import clustering_service


@shared_task(acks_late=True)
def run_clustering_task(algorithm: str = "kmeans", k_min: int = 2, k_max: int = 10) -> int:
    """Refit the clusters and their segments; returns the new ClusteringRun id."""
    return clustering_service.run_clustering(algorithm=algorithm, k_min=k_min, k_max=k_max).pk
