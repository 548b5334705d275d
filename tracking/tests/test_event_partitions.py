"""Events partitioned by month on PostgreSQL: rows land in their month, the coming months
are created ahead, retention drops whole months, and the migration converts a populated
table both ways. SQLite keeps one table (these tests skip there)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core import clock
from tracking import partitions, retention
from tracking.models import Event, EventReceipt
from tracking.partitions import Month
from tracking.services import ingest_events
from tracking.tests.factories import iso, make_event

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="partitioning is PostgreSQL's (SQLite: one table)"
    ),
]


def view(visitor_id: str, at: datetime, event_id: str | None = None) -> None:
    event = make_event(
        "page_view",
        visitor_id=visitor_id,
        timestamp=iso(at),
        event_id=event_id or str(uuid.uuid4()),
    )
    result = ingest_events([event], now=at + timedelta(seconds=1))
    assert result.accepted == 1 and not result.rejected


def partition_of(visitor_id: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tableoid::regclass::text FROM tracking_event WHERE visitor_id = %s",
            [visitor_id],
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_events_table_is_partitioned_by_month_with_months_ahead():
    assert partitions.is_partitioned()
    # The migration makes the months it has rows for; the beat task's work keeps the rest.
    partitions.ensure_partitions()
    months = partitions.month_partitions()
    this = Month.of(clock.now())
    assert this.table in months
    ahead = this.next().next().next()
    assert ahead.table in months
    assert Month.of(retention.retention_cutoff()).table in months


def test_events_land_in_the_partition_of_their_month():
    now = clock.now()
    view("v-now", now - timedelta(minutes=1))
    view("v-old", now - timedelta(days=3000))  # older than any month kept: the default one
    assert partition_of("v-now") == [Month.of(now - timedelta(minutes=1)).table]
    assert partition_of("v-old") == [partitions.DEFAULT_PARTITION]


def test_the_beat_task_creates_missing_months_and_moves_their_rows_out_of_default():
    from tracking.tasks import ensure_event_partitions_task

    # The months the task keeps exist (made by the task itself, on its own clock).
    ensure_event_partitions_task.delay().get()
    now = clock.now()
    far = Month.of(now + timedelta(days=31 * 8))
    # Rows of a month that has no partition yet wait in the default partition ...
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tracking_event (visitor_id, session_id, type, timestamp, received_at, "
            "properties, context) VALUES ('v-far', '', 'page_view', %s, %s, '{}', '{}')",
            [far.start + timedelta(days=2), now],
        )
    assert partition_of("v-far") == [partitions.DEFAULT_PARTITION]
    # ... until the month is created: then they move into it.
    assert partitions.ensure_partitions(now=far.start, ahead=0, keep_days=0) == [far.table]
    assert partition_of("v-far") == [far.table]
    assert partitions.ensure_partitions(now=far.start, ahead=0, keep_days=0) == []
    # The task runs the same, from the retention cutoff to three months ahead (the
    # migration created them: nothing to do).
    assert ensure_event_partitions_task.delay().get() == []


def test_retention_drops_whole_expired_months_and_their_receipts(settings):
    now = clock.now()
    settings.PZ_EVENT_RETENTION_DAYS = 30
    cutoff = retention.retention_cutoff(now)
    expired_month = Month.of(cutoff - timedelta(days=62))
    partitions.ensure_partitions(now=expired_month.start, ahead=0)
    view("v-expired", expired_month.start + timedelta(days=3))
    view("v-straddling", cutoff - timedelta(hours=1))
    view("v-kept", now - timedelta(days=1))
    assert EventReceipt.objects.count() == 3

    result = retention.apply_retention(now=now)

    assert expired_month.table not in partitions.month_partitions()
    assert set(Event.objects.values_list("visitor_id", flat=True)) == {"v-kept"}
    assert result.events_deleted == 2
    assert list(EventReceipt.objects.values_list("visitor_id", flat=True)) == ["v-kept"]


def test_a_resend_is_still_a_no_op_across_partitions():
    now = clock.now()
    event_id = str(uuid.uuid4())
    view("v-resend", now - timedelta(minutes=1), event_id=event_id)
    # The same event id again, even with another timestamp (another partition's range).
    again = make_event(
        "page_view",
        visitor_id="v-resend",
        timestamp=iso(now - timedelta(days=40)),
        event_id=event_id,
    )
    assert ingest_events([again], now=now).duplicates == 1
    assert Event.objects.filter(visitor_id="v-resend").count() == 1


def test_the_migration_converts_a_populated_table_both_ways():
    executor = MigrationExecutor(connection)
    executor.migrate([("tracking", "0005_event_id_unique_per_visitor")])
    assert not partitions.is_partitioned()
    old = executor.loader.project_state([("tracking", "0005_event_id_unique_per_visitor")]).apps
    OldEvent = old.get_model("tracking", "Event")
    now = clock.now()
    OldEvent.objects.bulk_create(
        OldEvent(
            event_id=uuid.uuid4() if i % 3 else None,
            visitor_id=f"v{i % 11}",
            type="page_view",
            timestamp=now - timedelta(days=i),
            received_at=now,
        )
        for i in range(500)
    )
    newest = OldEvent.objects.order_by("-id").values_list("id", flat=True).first()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("tracking"))

    assert partitions.is_partitioned()
    assert Event.objects.count() == 500
    assert EventReceipt.objects.count() == 333
    assert len(set(partition_of_all())) > 12  # a year of months, and the default one
    view("v-new", now)  # ids continue after the copied rows
    assert Event.objects.get(visitor_id="v-new").pk > newest


def partition_of_all() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM tracking_event")
        return [row[0] for row in cursor.fetchall()]


def test_month_arithmetic():
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month.of(datetime(2027, 1, 31, 23, 59, tzinfo=UTC)).end == datetime(
        2027, 2, 1, tzinfo=UTC
    )
    assert Month(2027, 3).table == "tracking_event_p2027_03"
