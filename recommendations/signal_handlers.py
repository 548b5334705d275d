"""Keep per-visitor recommendation caches in step with tracking (wired in AppConfig)."""

from typing import Any

from django.conf import settings
from django.core.cache import cache

from recommendations.selectors import INVALIDATING_TYPES, forget_visitor_activity

RETRAIN_PENDING_KEY = "recs:retrain-pending"


def on_events_ingested(
    sender: Any, visitor_ids: set[str], event_types: set[str] | None = None, **kwargs: Any
) -> None:
    if event_types is None or INVALIDATING_TYPES.intersection(event_types):
        forget_visitor_activity(visitor_ids)


def on_visitors_merged(
    sender: Any, source_visitor_id: str, target_visitor_id: str, **kwargs: Any
) -> None:
    forget_visitor_activity([source_visitor_id, target_visitor_id])


def on_catalog_changed(sender: Any, created: int = 0, updated: int = 0, **kwargs: Any) -> None:
    """New or changed products (titles and categories feed the content-based neighbours):
    train once, `PZ_RECOMMENDER_RETRAIN_AFTER_CATALOG_SECONDS` after the first change, so
    an import of many calls trains on the whole new catalog. Removals need no training:
    serving drops them from the next result on."""
    delay = settings.PZ_RECOMMENDER_RETRAIN_AFTER_CATALOG_SECONDS
    if delay is None or not (created or updated):
        return
    if cache.add(RETRAIN_PENDING_KEY, 1, max(delay, 1)):
        from recommendations.tasks import train_recommender_task

        train_recommender_task.apply_async(countdown=delay)
