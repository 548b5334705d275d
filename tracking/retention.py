"""Retention of raw visitor data: events older than `PZ_EVENT_RETENTION_DAYS` and the
anonymous profiles nothing else keeps are deleted. On PostgreSQL whole months of events
that ended before the cutoff are detached and dropped (tracking/partitions.py); what is
left before the cutoff (the month straddling it, the default partition, SQLite's one
table) is deleted in batches, with the receipts of those events.

Aggregates stay: `VariantStats`, `ResultSnapshot` and `SegmentSizeSnapshot` hold counts,
rates and keys of variants, arms and segments, never a visitor id.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from core import clock
from core.visitor_data import registered_sections
from tracking import partitions
from tracking.event_validation import EVENT_TYPES
from tracking.models import Event, EventReceipt, VisitorProfile
from tracking.selectors import profile_cache_key


@dataclass(frozen=True)
class RetentionResult:
    events_deleted: int
    profiles_deleted: int
    cutoff: datetime


def retention_cutoff(now: datetime | None = None, days: int | None = None) -> datetime:
    days = settings.PZ_EVENT_RETENTION_DAYS if days is None else days
    return (now or clock.now()) - timedelta(days=days)


def purge_expired_events(*, cutoff: datetime, batch_size: int) -> int:
    """Delete events that happened before `cutoff`, `batch_size` rows per transaction
    (short locks, bounded memory). Filtering per type uses the (type, timestamp) index."""
    deleted = 0
    filters = [Q(type=event_type) for event_type in sorted(EVENT_TYPES)]
    filters.append(~Q(type__in=EVENT_TYPES))  # types no longer accepted at ingest
    for condition in filters:
        expired = Event.objects.filter(condition, timestamp__lt=cutoff)
        while True:
            batch = list(expired.values_list("pk", flat=True)[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                deleted += Event.objects.filter(pk__in=batch, timestamp__lt=cutoff).delete()[0]
    receipts = EventReceipt.objects.filter(timestamp__lt=cutoff)
    while batch := list(receipts.values_list("pk", flat=True)[:batch_size]):
        EventReceipt.objects.filter(pk__in=batch).delete()
    return deleted


def orphaned_profiles(*, cutoff: datetime) -> QuerySet[VisitorProfile]:
    """Anonymous profiles with no events left, no consent choice on record and not seen
    since `cutoff`: nothing in them is still needed."""
    seen_before = Q(last_seen__lt=cutoff) | Q(last_seen__isnull=True, created_at__lt=cutoff)
    return VisitorProfile.objects.filter(
        seen_before,
        customer_key__isnull=True,
        consent_updated_at__isnull=True,
    ).exclude(Exists(Event.objects.filter(visitor_id=OuterRef("visitor_id"))))


def purge_orphaned_profiles(*, cutoff: datetime, batch_size: int) -> int:
    """Erase orphaned profiles through the GDPR registry, so their memberships, exposures
    and caches go with them."""
    deleted = 0
    while True:
        ids = list(
            orphaned_profiles(cutoff=cutoff).values_list("visitor_id", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            for section in registered_sections():
                section.erase(ids)
        cache.delete_many([profile_cache_key(visitor_id) for visitor_id in ids])
        deleted += len(ids)


def apply_retention(
    *, now: datetime | None = None, days: int | None = None, batch_size: int | None = None
) -> RetentionResult:
    """Purge expired events, then the profiles that leaves orphaned."""
    cutoff = retention_cutoff(now, days)
    batch_size = batch_size or settings.PZ_RETENTION_BATCH_SIZE
    events = partitions.drop_expired_partitions(cutoff=cutoff)
    events += purge_expired_events(cutoff=cutoff, batch_size=batch_size)
    profiles = purge_orphaned_profiles(cutoff=cutoff, batch_size=batch_size)
    return RetentionResult(events_deleted=events, profiles_deleted=profiles, cutoff=cutoff)
