"""Celery tasks of segments: take ids, call services."""

from celery import shared_task
from django.core.cache import cache

from segments import services
from segments.clustering_tasks import run_clustering_task  # noqa: F401  (autodiscovery)


@shared_task(acks_late=True, max_retries=3, default_retry_delay=10)
def recompute_segment_task(segment_id: int) -> dict:
    result = services.recompute_segment(segment_id=segment_id)
    return {"segment": result.segment_key, "size": result.size, "ms": result.duration_ms}


@shared_task(acks_late=True)
def recompute_due_segments_task() -> list[int]:
    return [result.segment_id for result in services.recompute_due_segments()]


@shared_task(acks_late=True, max_retries=3, default_retry_delay=5)
def refresh_visitor_memberships_task(visitor_ids: list[str] | None = None) -> int:
    """The ingest follow-up: these visitors, or (no ids) those pending in Redis."""
    if visitor_ids is None:
        return services.drain_membership_refreshes()
    # Clear the debounce marks first: events arriving while this runs queue another refresh.
    cache.delete_many([f"segment-refresh:{visitor_id}" for visitor_id in visitor_ids])
    return services.refresh_after_ingest(visitor_ids)
