"""event_id dedupes per visitor: a resend by the same visitor is a no-op, the same id
from another visitor is another event (both on the bulk INSERT and PostgreSQL's COPY
path), and the migration that made it so runs on a populated table."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tracking.customer_keys import customer_key
from tracking.models import Event, EventReceipt, VisitorProfile
from tracking.services import ingest_events, stitch_visitor
from tracking.tests.factories import iso, make_event

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SHARED_ID = "0b8f9a52-3c35-4d0b-a8a4-6a3b2a1e9f10"


def purchase(visitor_id: str, event_id: str = SHARED_ID, revenue: float = 50.0) -> dict:
    return make_event(
        "purchase",
        visitor_id=visitor_id,
        event_id=event_id,
        timestamp=iso(NOW - timedelta(minutes=5)),
        properties={"order_id": f"o-{visitor_id}", "revenue": revenue},
    )


@pytest.mark.django_db
def test_the_same_event_id_from_two_visitors_stores_both_purchases():
    ingest_events([purchase("alice")], now=NOW)
    result = ingest_events([purchase("bob")], now=NOW)

    assert result.accepted == 1 and result.duplicates == 0
    assert set(Event.objects.values_list("visitor_id", flat=True)) == {"alice", "bob"}
    assert VisitorProfile.objects.get(visitor_id="bob").revenue == 50.0


@pytest.mark.django_db
def test_two_visitors_sharing_an_event_id_in_one_batch_are_both_kept():
    result = ingest_events([purchase("alice"), purchase("bob")], now=NOW)
    assert result.duplicates == 0
    assert Event.objects.count() == 2


@pytest.mark.django_db
def test_a_resend_by_the_same_visitor_is_still_a_no_op():
    ingest_events([purchase("alice")], now=NOW)
    again = ingest_events([purchase("alice"), purchase("alice")], now=NOW)
    assert again.duplicates == 2
    assert Event.objects.count() == 1
    assert VisitorProfile.objects.get(visitor_id="alice").revenue == 50.0


@pytest.mark.django_db
def test_stitching_two_visitors_that_share_an_event_id_keeps_one_copy(settings):
    key = customer_key("c-1", settings.PZ_CUSTOMER_ID_PEPPER)
    ingest_events([purchase("known")], now=NOW)
    stitch_visitor(visitor_id="known", customer_key=key)
    ingest_events([purchase("anon"), purchase("anon", event_id=str(uuid.uuid4()))], now=NOW)

    stitch_visitor(visitor_id="anon", customer_key=key)

    assert list(Event.objects.values_list("visitor_id", flat=True).distinct()) == ["known"]
    assert Event.objects.filter(event_id=SHARED_ID).count() == 1
    assert Event.objects.count() == 2
    # The receipts moved with the events: a resend under either id is still a no-op.
    assert set(EventReceipt.objects.values_list("visitor_id", flat=True)) == {"known"}
    assert ingest_events([purchase("anon")], now=NOW).duplicates == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_a_populated_table_and_then_dedupes_per_visitor():
    executor = MigrationExecutor(connection)
    executor.migrate([("tracking", "0003_pending_announcement")])
    old = executor.loader.project_state([("tracking", "0003_pending_announcement")]).apps
    OldEvent = old.get_model("tracking", "Event")
    OldEvent.objects.bulk_create(
        [
            OldEvent(
                event_id=uuid.uuid4() if i % 2 else None,
                visitor_id=f"v{i % 7}",
                type="page_view",
                timestamp=NOW,
                received_at=NOW,
            )
            for i in range(300)
        ]
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("tracking", "0005_event_id_unique_per_visitor")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("tracking"))

    assert Event.objects.count() == 300
    assert EventReceipt.objects.count() == 150  # one per stored event with an id
    ingest_events([purchase("alice"), purchase("bob")], now=NOW)
    assert Event.objects.filter(event_id=SHARED_ID).count() == 2
    assert ingest_events([purchase("alice")], now=NOW).duplicates == 1
    with connection.cursor() as cursor:
        receipts = connection.introspection.get_constraints(cursor, EventReceipt._meta.db_table)
        events = connection.introspection.get_constraints(cursor, Event._meta.db_table)
    unique = [c["columns"] for c in receipts.values() if c["unique"] and not c["primary_key"]]
    assert ["visitor_id", "event_id"] in unique
    assert not [c for c in events.values() if c["unique"] and not c["primary_key"]]
