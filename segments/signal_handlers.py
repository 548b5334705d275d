"""Keep segment state in step with tracking: plain functions wired in AppConfig.ready."""

import logging
from typing import Any

from django.conf import settings

from segments.models import SegmentMembership
from segments.services import (
    build_recent_windows,
    forget_recent_events,
    schedule_membership_refresh,
)

logger = logging.getLogger(__name__)


def on_events_ingested(sender: Any, visitor_ids: set[str], **kwargs: Any) -> None:
    # Sent after commit: the windows built now include the batch, so the visitor's next
    # decide is warm. Should this fail, the stale windows are dropped instead: decide
    # reads them itself on a miss.
    try:
        build_recent_windows(visitor_ids)
    except Exception:
        logger.exception("recent-event windows of %d visitors not built", len(visitor_ids))
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
