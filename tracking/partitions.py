"""Monthly partitions of the events table on PostgreSQL (declarative range partitioning on
`timestamp`); SQLite keeps one table and every function here does nothing there.

- `tracking_event_pYYYY_MM` holds one calendar month (UTC); `tracking_event_default` the
  rest (events older than the oldest month kept: late batches, imports).
- `ensure_partitions` (beat, daily) creates the months from the retention cutoff to three
  ahead. A month whose rows already sit in the default partition (a backfill, or the task
  did not run for a while) is created beside it, filled from it and attached, in one
  transaction.
- `drop_expired_partitions` (retention) detaches and drops whole months that ended
  before the cutoff: no row-by-row delete, no bloat. Rows older than the cutoff in the
  month straddling it and in the default partition are deleted by `tracking.retention`.
- `partition_events_table` converts the unpartitioned table (migration 0006) on a
  populated database: the rows are copied into the partitions in the migration's
  transaction (docs/scaling.md says how to attach the old table instead when a copy is
  too long).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from core import clock

TABLE = "tracking_event"
DEFAULT_PARTITION = f"{TABLE}_default"
MONTHS_AHEAD = 3
INDEXES = (
    "CREATE INDEX event_visitor_type_time ON {table} (visitor_id, type, timestamp)",
    "CREATE INDEX event_type_time_visitor ON {table} (type, timestamp) INCLUDE (visitor_id)",
)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    @property
    def table(self) -> str:
        return f"{TABLE}_p{self.year:04d}_{self.month:02d}"


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = to_regnamespace(current_schema())",
            [TABLE],
        )
        return cursor.fetchone() is not None


def month_partitions() -> dict[str, tuple[datetime, datetime]]:
    """The attached monthly partitions, by table name: (start, end)."""
    if not is_partitioned():
        return {}
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        for (name,) in cursor.fetchall():
            if name == DEFAULT_PARTITION:
                continue
            year, month = (int(part) for part in name.rsplit("_p", 1)[1].split("_"))
            found[name] = (Month(year, month).start, Month(year, month).end)
    return dict(sorted(found.items()))


def _months(first: Month, last: Month) -> list[Month]:
    months, month = [], first
    while (month.year, month.month) <= (last.year, last.month):
        months.append(month)
        month = month.next()
    return months


def create_month(month: Month) -> bool:
    """Create and attach one month (moving its rows out of the default partition, if it
    holds any); False when it existed."""
    existing = month_partitions()
    if month.table in existing:
        return False
    quote = connection.ops.quote_name
    table, parent, default = quote(month.table), quote(TABLE), quote(DEFAULT_PARTITION)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} (LIKE {parent} INCLUDING DEFAULTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE timestamp >= %s AND timestamp < %s "  # noqa: S608 - our own names
            f"RETURNING *) INSERT INTO {table} SELECT * FROM moved",
            [month.start, month.end],
        )
        cursor.execute(
            f"ALTER TABLE {parent} ATTACH PARTITION {table} FOR VALUES FROM (%s) TO (%s)",
            [month.start, month.end],
        )
    return True


def ensure_partitions(
    *, now: datetime | None = None, ahead: int = MONTHS_AHEAD, keep_days: int | None = None
) -> list[str]:
    """Create the months from the retention cutoff (`keep_days`, default
    PZ_EVENT_RETENTION_DAYS, before `now`) to `ahead` months after `now` where missing
    (rows of a past month waiting in the default partition, e.g. a backfill, move into
    it); the tables created."""
    if not is_partitioned():
        return []
    now = now or clock.now()
    keep_days = settings.PZ_EVENT_RETENTION_DAYS if keep_days is None else keep_days
    first = Month.of(now - timedelta(days=keep_days))
    last = Month.of(now)
    for _ in range(ahead):
        last = last.next()
    return [month.table for month in _months(first, last) if create_month(month)]


def drop_expired_partitions(*, cutoff: datetime) -> int:
    """Detach and drop the months that ended on or before `cutoff`; the rows they held."""
    dropped = 0
    quote = connection.ops.quote_name
    for name, (_start, end) in month_partitions().items():
        if end > cutoff:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {quote(name)}")  # noqa: S608 - our own name
            dropped += cursor.fetchone()[0]
            cursor.execute(f"ALTER TABLE {quote(TABLE)} DETACH PARTITION {quote(name)}")
            cursor.execute(f"DROP TABLE {quote(name)}")
    return dropped


def partition_events_table(schema_editor, *, keep_from: datetime, now: datetime) -> None:  # noqa: ANN001
    """Replace the unpartitioned events table by a partitioned one with the same columns
    and rows: months from `keep_from` (or the oldest event, if later) to `MONTHS_AHEAD`
    after `now`, the default partition for anything older."""
    execute = schema_editor.execute
    quote = schema_editor.quote_name
    old = f"{TABLE}_unpartitioned"
    execute(f"ALTER TABLE {quote(TABLE)} RENAME TO {quote(old)}")
    for index in ("event_visitor_type_time", "event_type_time_visitor"):
        execute(f"ALTER INDEX IF EXISTS {quote(index)} RENAME TO {quote(index + '_old')}")
    # Identity columns cannot be partitioned (before PostgreSQL 17): a sequence of its own.
    execute(f"ALTER TABLE {quote(old)} ALTER COLUMN id DROP IDENTITY IF EXISTS")
    execute(f"ALTER TABLE {quote(old)} ALTER COLUMN id DROP DEFAULT")
    execute(f"DROP SEQUENCE IF EXISTS {quote(TABLE + '_id_seq')}")
    execute(f"CREATE SEQUENCE {quote(TABLE + '_id_seq')} AS bigint")
    execute(
        f"CREATE TABLE {quote(TABLE)} (LIKE {quote(old)} INCLUDING DEFAULTS, "
        "PRIMARY KEY (id, timestamp)) PARTITION BY RANGE (timestamp)"
    )
    execute(
        f"ALTER TABLE {quote(TABLE)} ALTER COLUMN id SET DEFAULT "
        f"nextval('{TABLE}_id_seq'::regclass)"
    )
    execute(f"ALTER SEQUENCE {quote(TABLE + '_id_seq')} OWNED BY {quote(TABLE)}.id")
    for statement in INDEXES:
        execute(statement.format(table=quote(TABLE)))
    execute(f"CREATE TABLE {quote(DEFAULT_PARTITION)} PARTITION OF {quote(TABLE)} DEFAULT")

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT min(timestamp) FROM {quote(old)}")  # noqa: S608
        oldest = cursor.fetchone()[0]
    first = Month.of(max(keep_from, oldest) if oldest else keep_from)
    last = Month.of(now + timedelta(days=31 * MONTHS_AHEAD))
    for month in _months(first, last):
        execute(
            f"CREATE TABLE {quote(month.table)} PARTITION OF {quote(TABLE)} "
            "FOR VALUES FROM (%s) TO (%s)",
            [month.start, month.end],
        )
    execute(f"INSERT INTO {quote(TABLE)} SELECT * FROM {quote(old)}")  # noqa: S608
    execute(
        f"SELECT setval('{TABLE}_id_seq', GREATEST((SELECT max(id) FROM {quote(old)}), 0) + 1, "  # noqa: S608
        "false)"
    )
    execute(f"DROP TABLE {quote(old)}")


def unpartition_events_table(schema_editor) -> None:  # noqa: ANN001
    """The reverse of `partition_events_table`: one plain table with the same rows."""
    execute = schema_editor.execute
    quote = schema_editor.quote_name
    old = f"{TABLE}_partitioned"
    execute(f"ALTER TABLE {quote(TABLE)} RENAME TO {quote(old)}")
    for index in ("event_visitor_type_time", "event_type_time_visitor"):
        execute(f"ALTER INDEX IF EXISTS {quote(index)} RENAME TO {quote(index + '_old')}")
    execute(f"CREATE TABLE {quote(TABLE)} (LIKE {quote(old)} INCLUDING DEFAULTS, PRIMARY KEY (id))")
    for statement in INDEXES:
        execute(statement.format(table=quote(TABLE)))
    execute(f"ALTER SEQUENCE {quote(TABLE + '_id_seq')} OWNED BY {quote(TABLE)}.id")
    execute(f"INSERT INTO {quote(TABLE)} SELECT * FROM {quote(old)}")  # noqa: S608
    execute(f"DROP TABLE {quote(old)} CASCADE")
