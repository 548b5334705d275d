"""Celery tasks of insights: thin, they call the services."""

from celery import shared_task

from insights import kpis


@shared_task(acks_late=True)
def refresh_segment_kpis_task() -> int:
    return kpis.refresh_segment_kpis()
