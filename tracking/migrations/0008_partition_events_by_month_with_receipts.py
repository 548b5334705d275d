"""Events partitioned by month on PostgreSQL, "a resend is a no-op" kept by EventReceipt.

A partitioned table takes no unique key that leaves out the partition column, so the
(visitor, event_id) uniqueness moves to a narrow table of its own, filled from the events
stored so far. On PostgreSQL the events table is then rebuilt partitioned by month of
`timestamp` (tracking/partitions.py) with its rows; SQLite keeps one table and only
loses the unique constraint. Both ways work on a populated database."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models

from core import clock
from tracking import partitions


def copy_receipts(apps, schema_editor):
    Event = apps.get_model("tracking", "Event")
    EventReceipt = apps.get_model("tracking", "EventReceipt")
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"INSERT INTO {quote(EventReceipt._meta.db_table)} (visitor_id, event_id, timestamp) "  # noqa: S608
        f"SELECT visitor_id, event_id, timestamp FROM {quote(Event._meta.db_table)} "
        "WHERE event_id IS NOT NULL"
    )


class PartitionEvents(migrations.RemoveConstraint):
    """Drop the events' unique constraint; on PostgreSQL, rebuild the table partitioned
    (without it). Reversed: back to one table, with the constraint."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        schema_editor.execute(
            "ALTER TABLE tracking_event DROP CONSTRAINT IF EXISTS event_visitor_event_id"
        )
        now = clock.now()
        keep_from = now - timedelta(days=settings.PZ_EVENT_RETENTION_DAYS)
        partitions.partition_events_table(schema_editor, keep_from=keep_from, now=now)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            partitions.unpartition_events_table(schema_editor)
        return super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0007_email_marketing"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventReceipt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("visitor_id", models.CharField(max_length=64)),
                ("event_id", models.UUIDField()),
                ("timestamp", models.DateTimeField()),
            ],
            options={
                "indexes": [models.Index(fields=["timestamp"], name="event_receipt_time")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("visitor_id", "event_id"), name="event_receipt_visitor_event_id"
                    )
                ],
            },
        ),
        migrations.RunPython(copy_receipts, migrations.RunPython.noop),
        PartitionEvents(model_name="event", name="event_visitor_event_id"),
    ]
