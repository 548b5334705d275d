"""Materialized memberships: diff a segment's new member set against its open periods."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from personalization.config_version import bump_config_version
from segments.models import Segment, SegmentMembership, SegmentSizeSnapshot

BATCH = 5000


@dataclass(frozen=True)
class MembershipChange:
    size: int
    entered: list[str]
    left: list[str]


@transaction.atomic
def replace_memberships(
    *,
    segment: Segment,
    member_ids: Iterable[str],
    now: datetime,
    within: Iterable[str] | None = None,
) -> MembershipChange:
    """Make `member_ids` the segment's current members: close the periods of visitors who
    left, open periods for those who entered, and record a size snapshot.

    With `within`, only those visitors are reconsidered (incremental refresh after ingest).
    """
    wanted = set(member_ids)
    current_qs = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    if within is not None:
        scope = set(within)
        wanted &= scope
        current_qs = current_qs.filter(visitor_id__in=scope)
    current = set(current_qs.values_list("visitor_id", flat=True))
    entered = sorted(wanted - current)
    left = sorted(current - wanted)
    for start in range(0, len(left), BATCH):
        SegmentMembership.objects.filter(
            segment=segment, left_at__isnull=True, visitor_id__in=left[start : start + BATCH]
        ).update(left_at=now)
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment=segment, visitor_id=vid, entered_at=now) for vid in entered],
        batch_size=BATCH,
    )
    if within is None or entered or left:
        size = _record(segment, now, len(entered), len(left), full=within is None)
    else:
        size = segment.size or 0
    return MembershipChange(size=size, entered=entered, left=left)


def _record(segment: Segment, now: datetime, entered: int, left: int, *, full: bool) -> int:
    """Store the new size and a snapshot; only a full computation resets the schedule."""
    size = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).count()
    SegmentSizeSnapshot.objects.create(
        segment=segment, computed_at=now, size=size, entered=entered, left=left
    )
    if full:
        Segment.objects.filter(pk=segment.pk).update(size=size, last_computed_at=now)
        segment.last_computed_at = now
    else:
        Segment.objects.filter(pk=segment.pk).update(size=size)
    minimum = settings.PZ_MIN_SEGMENT_SIZE
    if ((segment.size or 0) >= minimum) != (size >= minimum):
        # Crossing the minimum size changes what may be targeted: recompile catalogs.
        transaction.on_commit(bump_config_version)
    segment.size = size
    return size


@dataclass(frozen=True)
class MaterializeCounts:
    size: int
    entered: int
    left: int


@transaction.atomic
def materialize_members(*, segment: Segment, members: QuerySet, now: datetime) -> MaterializeCounts:
    """Make the visitor ids selected by `members` (a values("visitor_id") queryset) the
    segment's current members, diffing in SQL so a million-member segment never passes
    through Python."""
    table = SegmentMembership._meta.db_table
    select_sql, select_params = members.query.sql_with_params()
    first_compute = not SegmentMembership.objects.filter(segment=segment).exists()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Hash joins over a million members need more than the 4 MB default.
            cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("DROP TABLE IF EXISTS pz_segment_members")
        cursor.execute(f"CREATE TEMPORARY TABLE pz_segment_members AS {select_sql}", select_params)  # noqa: S608
        cursor.execute("ANALYZE pz_segment_members")
        left = 0
        if not first_compute:
            cursor.execute(
                f"UPDATE {table} SET left_at = %s WHERE segment_id = %s AND left_at IS NULL "  # noqa: S608
                "AND NOT EXISTS (SELECT 1 FROM pz_segment_members m "
                f"WHERE m.visitor_id = {table}.visitor_id)",
                [now, segment.pk],
            )
            left = cursor.rowcount
        not_member_yet = (
            ""
            if first_compute
            else f" WHERE NOT EXISTS (SELECT 1 FROM {table} o WHERE o.segment_id = %s "  # noqa: S608
            "AND o.left_at IS NULL AND o.visitor_id = m.visitor_id)"
        )
        cursor.execute(
            f"INSERT INTO {table} (segment_id, visitor_id, entered_at, left_at) "  # noqa: S608
            f"SELECT %s, m.visitor_id, %s, NULL FROM pz_segment_members m{not_member_yet}",
            [segment.pk, now] + ([] if first_compute else [segment.pk]),
        )
        entered = cursor.rowcount
        cursor.execute("DROP TABLE pz_segment_members")
    return MaterializeCounts(
        size=_record(segment, now, entered, left, full=True), entered=entered, left=left
    )
