"""Trigger reactions to tracking: plain functions wired in AppConfig.ready."""

from typing import Any

from triggers import services
from triggers.selectors import enabled_entry_types


def on_events_ingested(
    sender: Any, visitor_ids: set[str], event_types: set[str], **kwargs: Any
) -> None:
    # Sent after commit; a task is queued only when some enabled trigger listens.
    types = set(event_types) & enabled_entry_types()
    if types and visitor_ids:
        from triggers.tasks import handle_events_task

        handle_events_task.delay(sorted(visitor_ids), sorted(types))


def on_visitors_merged(
    sender: Any, source_visitor_id: str, target_visitor_id: str, **kwargs: Any
) -> None:
    services.move_visitor(source_visitor_id=source_visitor_id, target_visitor_id=target_visitor_id)


def on_trigger_saved(sender: Any, **kwargs: Any) -> None:
    services.forget_trigger_catalog()
