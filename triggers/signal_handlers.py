"""Trigger reactions to tracking: plain functions wired in AppConfig.ready."""

from typing import Any

from triggers import services
from triggers.selectors import coupons_outstanding, enabled_entry_types


def on_events_ingested(
    sender: Any,
    visitor_ids: set[str],
    event_types: set[str],
    sent_types: dict[str, list[str]] | None = None,
    **kwargs: Any,
) -> None:
    # Sent after commit; a task is queued only when some enabled trigger listens, and only
    # for the visitors who sent a type one listens to.
    types = set(event_types) & enabled_entry_types()
    if types and visitor_ids:
        from triggers.tasks import handle_events_task

        if sent_types is None:
            handle_events_task.delay(sorted(visitor_ids), sorted(types))
            return
        entries = {
            visitor_id: sorted(types.intersection(sent))
            for visitor_id, sent in sent_types.items()
            if types.intersection(sent)
        }
        if entries:
            handle_events_task.delay(sorted(entries), sorted(types), entries)
    if "purchase" in event_types and visitor_ids and coupons_outstanding():
        from triggers.tasks import record_redemptions_task

        record_redemptions_task.delay(sorted(visitor_ids))


def on_esp_tracking(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """anymail validated an ESP's tracking webhook (signature, basic auth) and parsed it."""
    from triggers.services.email import record_esp_event

    record_esp_event(
        kind=str(event.event_type),
        message_id=event.message_id,
        event_id=event.event_id,
        recipient_address=event.recipient,
        occurred_at=event.timestamp,
        detail={
            "esp": esp_name,
            "reject_reason": str(event.reject_reason or ""),
            "url": event.click_url or "",
        },
    )


def on_visitors_merged(
    sender: Any, source_visitor_id: str, target_visitor_id: str, **kwargs: Any
) -> None:
    services.move_visitor(source_visitor_id=source_visitor_id, target_visitor_id=target_visitor_id)


def on_trigger_saved(sender: Any, **kwargs: Any) -> None:
    services.forget_trigger_catalog()


def on_marketing_consent_requested(sender: Any, visitor_id: str, **kwargs: Any) -> None:
    from triggers.services.email import send_consent_confirmation

    send_consent_confirmation(visitor_id=visitor_id)
