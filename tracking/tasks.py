"""Celery tasks of tracking: thin wrappers that call services."""

from celery import shared_task

from tracking import partitions, retention, services


@shared_task(acks_late=True, max_retries=3, default_retry_delay=30)
def refresh_rfm_scores_task() -> int:
    """Refresh RFM quintiles and every purchaser's scores; returns the customers scored."""
    return services.refresh_rfm_scores().customers


@shared_task(acks_late=True, max_retries=3, default_retry_delay=60)
def apply_retention_task() -> dict[str, int]:
    """Purge events past `PZ_EVENT_RETENTION_DAYS` and the profiles that orphans."""
    result = retention.apply_retention()
    return {"events_deleted": result.events_deleted, "profiles_deleted": result.profiles_deleted}


@shared_task(acks_late=True)
def replay_pending_announcements_task() -> int:
    """Announce stored events whose follow-up tasks could not be queued (broker down)."""
    return services.replay_pending_announcements()


@shared_task(acks_late=True, max_retries=3, default_retry_delay=300)
def ensure_event_partitions_task() -> list[str]:
    """Create the coming months' event partitions (PostgreSQL); the tables created."""
    return partitions.ensure_partitions()
