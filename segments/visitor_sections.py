"""Segments' share of a visitor's data: membership periods (export and erasure)."""

from typing import Any

from core.visitor_data import VisitorDataSection, register_section
from segments.models import SegmentMembership


def _export(ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "segment": row["segment__key"],
            "visitor_id": row["visitor_id"],
            "entered_at": row["entered_at"].isoformat(),
            "left_at": row["left_at"].isoformat() if row["left_at"] else None,
        }
        for row in SegmentMembership.objects.filter(visitor_id__in=ids)
        .order_by("entered_at")
        .values("segment__key", "visitor_id", "entered_at", "left_at")
    ]


def _profile_summary(visitor_id: str) -> list[dict[str, Any]]:
    from segments.selectors import visitor_memberships

    return [
        {"key": m.segment.key, "name": m.segment.name, "since": m.entered_at.isoformat()}
        for m in visitor_memberships(visitor_id)
    ]


def register_segment_sections() -> None:
    register_section(
        VisitorDataSection(
            name="segments",
            profile_summary=_profile_summary,
            models=(SegmentMembership,),
            export=_export,
            erase=lambda ids: SegmentMembership.objects.filter(visitor_id__in=ids).delete(),
        )
    )
