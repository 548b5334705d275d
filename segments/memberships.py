"""Materialized memberships: diff segments' new member sets against their open periods."""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, IntegerField, Q, Value

from core.config_version import bump_config_version
from core.replicas import replica_alias
from segments.models import Segment, SegmentMembership, SegmentSizeSnapshot
from tracking.models import VisitorProfile

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


@transaction.atomic
def refresh_memberships_of(
    *, conditions: Mapping[Segment, Q], visitor_ids: Iterable[str], now: datetime
) -> dict[Segment, MembershipChange]:
    """`replace_memberships(within=visitor_ids)` for many segments at once (the refresh
    after an ingest): one query finds every segment's members among these visitors (a
    UNION ALL of one branch per segment, each condition in its WHERE next to the
    visitor filter, so event windows stay semi-joins on these visitors; as one boolean
    column per segment, PostgreSQL aggregated the whole events table per window), one
    reads their open periods, then only the segments that changed are written. Returns
    the changes of every segment."""
    ids = sorted(set(visitor_ids))
    if not ids or not conditions:
        return {}
    segments = list(conditions)
    branches = [
        VisitorProfile.objects.filter(condition, visitor_id__in=ids)
        .order_by()
        .annotate(segment_pk=Value(segment.pk, output_field=IntegerField()))
        .values_list("segment_pk", "visitor_id")
        for segment, condition in conditions.items()
    ]
    members = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    wanted: dict[int, set[str]] = {segment.pk: set() for segment in segments}
    for segment_pk, visitor_id in members:
        wanted[segment_pk].add(visitor_id)
    current: dict[int, set[str]] = {segment.pk: set() for segment in segments}
    for segment_id, visitor_id in SegmentMembership.objects.filter(
        segment__in=segments, left_at__isnull=True, visitor_id__in=ids
    ).values_list("segment_id", "visitor_id"):
        current[segment_id].add(visitor_id)
    changes, opened = {}, []
    for segment in segments:
        entered = sorted(wanted[segment.pk] - current[segment.pk])
        left = sorted(current[segment.pk] - wanted[segment.pk])
        if left:
            SegmentMembership.objects.filter(
                segment=segment, left_at__isnull=True, visitor_id__in=left
            ).update(left_at=now)
        opened += [
            SegmentMembership(segment=segment, visitor_id=v, entered_at=now) for v in entered
        ]
        changes[segment] = (entered, left)
    SegmentMembership.objects.bulk_create(opened, batch_size=BATCH)
    return {
        segment: MembershipChange(
            size=_record(segment, now, len(entered), len(left), full=False)
            if entered or left
            else segment.size or 0,
            entered=entered,
            left=left,
        )
        for segment, (entered, left) in changes.items()
    }


def _record(
    segment: Segment,
    now: datetime,
    entered: int,
    left: int,
    *,
    full: bool,
    size: int | None = None,
) -> int:
    """Store the new size (counted unless known) and a snapshot; only a full computation
    resets the schedule."""
    if size is None:
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


MEMBERS_TABLE = "pz_segment_members"
# Hash joins and hashed sub-queries over a million members need more than the 4 MB default.
MATERIALIZE_WORK_MEM = "128MB"


@transaction.atomic
def materialize_segments(
    *, conditions: Mapping[Segment, Q], now: datetime
) -> dict[int, MaterializeCounts]:
    """Make the profiles matching each segment's condition its current members.

    All the segments' members come from one scan of the profiles into a temporary
    (segment_id, visitor_id) table, then one diff against their open periods closes and
    opens periods for all of them, in SQL, so a million members never pass through Python.
    """
    table = SegmentMembership._meta.db_table
    segment_ids = [segment.pk for segment in conditions]
    in_segments = ", ".join(["%s"] * len(segment_ids))
    select_sql, select_params = members_query(conditions)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{MATERIALIZE_WORK_MEM}'")
            # JIT compiling one boolean column per segment costs more than it saves: ~10 s
            # of a ~25 s scan of 1M profiles for 20 segments.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"DROP TABLE IF EXISTS {MEMBERS_TABLE}")
        if replica_alias() != DEFAULT_DB_ALIAS and connection.vendor == "postgresql":
            _copy_members_from_replica(cursor, select_sql, select_params)
        else:
            cursor.execute(f"CREATE TEMPORARY TABLE {MEMBERS_TABLE} AS {select_sql}", select_params)  # noqa: S608
        cursor.execute(f"ANALYZE {MEMBERS_TABLE}")
        if connection.vendor == "postgresql":
            # Hash anti-joins whatever the statistics of the membership table say: a stale
            # estimate of a handful of open periods would pick a quadratic nested loop.
            cursor.execute("SET LOCAL enable_nestloop = off")
        left = _changes_by_segment(
            cursor,
            f"UPDATE {table} SET left_at = %s WHERE segment_id IN ({in_segments}) "  # noqa: S608
            f"AND left_at IS NULL AND NOT EXISTS (SELECT 1 FROM {MEMBERS_TABLE} m "
            f"WHERE m.segment_id = {table}.segment_id AND m.visitor_id = {table}.visitor_id) "
            "RETURNING segment_id",
            [now, *segment_ids],
        )
        entered = _changes_by_segment(
            cursor,
            f"INSERT INTO {table} (segment_id, visitor_id, entered_at, left_at) "  # noqa: S608
            f"SELECT m.segment_id, m.visitor_id, %s, NULL FROM {MEMBERS_TABLE} m "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} o WHERE o.segment_id IN ({in_segments}) "
            "AND o.segment_id = m.segment_id AND o.left_at IS NULL "
            "AND o.visitor_id = m.visitor_id) "
            # In index order: the membership indexes then take their entries in runs.
            "ORDER BY m.visitor_id, m.segment_id RETURNING segment_id",
            [now, *segment_ids],
        )
        # After the diff the open periods are exactly these rows: their count is the size.
        cursor.execute(f"SELECT segment_id, COUNT(*) FROM {MEMBERS_TABLE} GROUP BY segment_id")  # noqa: S608
        sizes = dict(cursor.fetchall())
        cursor.execute(f"DROP TABLE {MEMBERS_TABLE}")
        if connection.vendor == "postgresql":
            cursor.execute("RESET enable_nestloop")
    counts = {}
    for segment in conditions:
        pk = segment.pk
        size = _record(
            segment,
            now,
            entered.get(pk, 0),
            left.get(pk, 0),
            full=True,
            size=sizes.get(pk, 0),
        )
        counts[pk] = MaterializeCounts(size=size, entered=entered.get(pk, 0), left=left.get(pk, 0))
    return counts


def _copy_members_from_replica(cursor: Any, select_sql: str, params: tuple[Any, ...]) -> None:
    """The scan of the profiles (the heavy part) runs on the replica; its (segment_id,
    visitor_id) rows stream into the primary's temporary table with COPY, block by block,
    never as Python rows. The diff against the memberships then runs on the primary."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE {MEMBERS_TABLE} (segment_id bigint, visitor_id varchar(64))"
    )
    with connections[replica_alias()].cursor() as source:
        # psycopg cursors under Django's wrappers; the query's parameters bind client-side.
        with (
            source.cursor.copy(f"COPY ({select_sql}) TO STDOUT", params) as rows,
            cursor.cursor.copy(f"COPY {MEMBERS_TABLE} (segment_id, visitor_id) FROM STDIN") as sink,
        ):
            for block in rows:
                sink.write(block)


def members_query(conditions: Mapping[Segment, Q]) -> tuple[str, tuple[Any, ...]]:
    """SELECT segment_id, visitor_id of every member of every segment, reading the
    profiles once: each segment's condition is a boolean column of one scan."""
    profiles = VisitorProfile.objects.order_by()
    if len(conditions) == 1:
        # One segment: its condition stays in WHERE, where the planner can turn event
        # windows into semi- and anti-joins.
        ((segment, condition),) = conditions.items()
        sql, params = profiles.filter(condition).values("visitor_id").query.sql_with_params()
        return f"SELECT %s AS segment_id, f.visitor_id FROM ({sql}) f", (segment.pk, *params)  # noqa: S608
    columns = {
        f"s{index}": ExpressionWrapper(condition, output_field=BooleanField())
        for index, condition in enumerate(conditions.values())
    }
    sql, params = profiles.values("visitor_id", **columns).query.sql_with_params()
    branches = " UNION ALL ".join(
        f"SELECT %s AS segment_id, f.visitor_id FROM flags f WHERE f.s{index}"  # noqa: S608
        for index in range(len(conditions))
    )
    ids = tuple(segment.pk for segment in conditions)
    return f"WITH flags AS MATERIALIZED ({sql}) {branches}", (*params, *ids)  # noqa: S608


def _changes_by_segment(cursor: Any, sql: str, params: list[Any]) -> dict[int, int]:
    """Run an UPDATE/INSERT .. RETURNING segment_id; rows changed per segment."""
    if connection.vendor == "postgresql":
        cursor.execute(
            f"WITH changed AS ({sql}) SELECT segment_id, COUNT(*) FROM changed GROUP BY segment_id",  # noqa: S608
            params,
        )
        return dict(cursor.fetchall())
    cursor.execute(sql, params)
    return dict(Counter(segment_id for (segment_id,) in cursor.fetchall()))
