"""Keep segment state in step with tracking: plain functions wired in AppConfig.ready."""

from typing import Any

from django.conf import settings

from segments.models import SegmentMembership
from segments.services import forget_recent_events, schedule_membership_refresh


def on_events_ingested(sender: Any, visitor_ids: set[str], **kwargs: Any) -> None:
    forget_recent_events(visitor_ids)
    schedule_membership_refresh(
        visitor_ids, debounce_seconds=settings.PZ_SEGMENT_REFRESH_DEBOUNCE_SECONDS
    )


def on_visitors_merged(
    sender: Any, source_visitor_id: str, target_visitor_id: str, **kwargs: Any
) -> None:
    # The anonymous id's memberships end; the known visitor's are refreshed on ingest.
    SegmentMembership.objects.filter(visitor_id=source_visitor_id).delete()
    forget_recent_events([source_visitor_id, target_visitor_id])
