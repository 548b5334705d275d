"""Triggers' share of a visitor's data: the firing log, pending pop-ups, cap locks."""

from typing import Any

from tracking.visitor_data import VisitorDataSection, register_section
from triggers.models import Firing, PendingMessage, TriggerVisitorLock


def _export(ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "trigger": row["trigger__key"],
            "visitor_id": row["visitor_id"],
            "status": row["status"],
            "reason": row["reason"],
            "created_at": row["created_at"].isoformat(),
            "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None,
        }
        for row in Firing.objects.filter(visitor_id__in=ids)
        .order_by("created_at")
        .values("trigger__key", "visitor_id", "status", "reason", "created_at", "decided_at")
    ]


def _erase(ids: list[str]) -> None:
    PendingMessage.objects.filter(visitor_id__in=ids).delete()
    Firing.objects.filter(visitor_id__in=ids).delete()
    TriggerVisitorLock.objects.filter(visitor_id__in=ids).delete()


def register_trigger_sections() -> None:
    register_section(
        VisitorDataSection(
            name="triggers",
            models=(Firing, PendingMessage, TriggerVisitorLock),
            export=_export,
            erase=_erase,
        )
    )
