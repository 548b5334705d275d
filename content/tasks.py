"""Celery tasks of content: thin wrappers that call services."""

from datetime import timedelta

from celery import shared_task

from content import metrics
from core import clock


@shared_task(acks_late=True, max_retries=3, default_retry_delay=60)
def refresh_variant_stats_task(days: int | None = None) -> int:
    """Recompute per-variant performance (over the last `days`, or all history); returns
    the number of variants with figures."""
    since = clock.now() - timedelta(days=days) if days else None
    return metrics.refresh_variant_stats(since=since).variants
