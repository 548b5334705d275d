"""Tracking's own visitor data sections: events, profile and stitched aliases."""

from typing import Any

from django.forms.models import model_to_dict

from core.visitor_data import VisitorDataSection, register_section
from tracking.models import Event, EventReceipt, PendingAnnouncement, VisitorAlias, VisitorProfile


def _export_events(ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(e.event_id) if e.event_id else None,
            "visitor_id": e.visitor_id,
            "session_id": e.session_id,
            "type": e.type,
            "timestamp": e.timestamp.isoformat(),
            "received_at": e.received_at.isoformat(),
            "properties": e.properties,
            "context": e.context,
        }
        for e in Event.objects.filter(visitor_id__in=ids).order_by("timestamp", "id").iterator()
    ]


def _export_profiles(ids: list[str]) -> list[dict[str, Any]]:
    rows = []
    for profile in VisitorProfile.objects.filter(visitor_id__in=ids):
        row = model_to_dict(profile)
        row.update(created_at=profile.created_at, updated_at=profile.updated_at)
        rows.append({k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()})
    return rows


def _export_aliases(ids: list[str]) -> list[dict[str, str]]:
    return list(VisitorAlias.objects.filter(alias_id__in=ids).values("alias_id", "visitor_id"))


def _announcements_of(ids: list[str]) -> list[PendingAnnouncement]:
    # Few rows, living minutes: a scan beats a JSON containment query per vendor.
    wanted = set(ids)
    return [a for a in PendingAnnouncement.objects.all() if wanted & set(a.visitor_ids)]


def _export_announcements(ids: list[str]) -> list[dict[str, Any]]:
    return [
        {"created_at": a.created_at.isoformat(), "event_types": a.event_types}
        for a in _announcements_of(ids)
    ]


def _erase_announcements(ids: list[str]) -> None:
    wanted = set(ids)
    for announcement in _announcements_of(ids):
        remaining = [v for v in announcement.visitor_ids if v not in wanted]
        if remaining:
            PendingAnnouncement.objects.filter(pk=announcement.pk).update(visitor_ids=remaining)
        else:
            announcement.delete()


def _erase_events(ids: list[str]) -> None:
    Event.objects.filter(visitor_id__in=ids).delete()
    EventReceipt.objects.filter(visitor_id__in=ids).delete()


def register_tracking_sections() -> None:
    register_section(
        VisitorDataSection(
            name="events",
            models=(Event, EventReceipt),
            export=_export_events,
            erase=_erase_events,
        )
    )
    register_section(
        VisitorDataSection(
            name="profile",
            models=(VisitorProfile,),
            export=_export_profiles,
            erase=lambda ids: VisitorProfile.objects.filter(visitor_id__in=ids).delete(),
        )
    )
    register_section(
        VisitorDataSection(
            name="aliases",
            models=(VisitorAlias,),
            export=_export_aliases,
            erase=lambda ids: (
                VisitorAlias.objects.filter(alias_id__in=ids).delete(),
                VisitorAlias.objects.filter(visitor_id__in=ids).delete(),
            ),
        )
    )
    register_section(
        VisitorDataSection(
            name="pending announcements",
            models=(PendingAnnouncement,),
            export=_export_announcements,
            erase=_erase_announcements,
        )
    )
