"""Celery tasks of recommendations: thin wrappers that call services."""

import logging

from celery import shared_task

from recommendations import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def train_recommender_task() -> int | None:
    """Train and activate a new version; returns its id (None if one was running).

    A failed training is recorded on its row and not retried: the data will not have
    changed by the next attempt, and the nightly schedule tries again."""
    try:
        return services.train_recommender().pk
    except services.TrainingBusy:
        logger.info("recommender training skipped: another one is running")
        return None
    except services.TrainingFailed as exc:
        return exc.model.pk
