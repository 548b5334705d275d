"""Keep per-visitor recommendation caches in step with tracking (wired in AppConfig)."""

from typing import Any

from recommendations.selectors import INVALIDATING_TYPES, forget_visitor_activity


def on_events_ingested(
    sender: Any, visitor_ids: set[str], event_types: set[str] | None = None, **kwargs: Any
) -> None:
    if event_types is None or INVALIDATING_TYPES.intersection(event_types):
        forget_visitor_activity(visitor_ids)


def on_visitors_merged(
    sender: Any, source_visitor_id: str, target_visitor_id: str, **kwargs: Any
) -> None:
    forget_visitor_activity([source_visitor_id, target_visitor_id])
