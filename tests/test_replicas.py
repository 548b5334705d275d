"""The read replica (core/replicas.py): heavy reads go to it when one is configured, writes
never do. Run against the same server: the fixture adds a `replica` alias on the test
database, as `DATABASE_REPLICA_URL` would on a real replica."""

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import CaptureQueriesContext

from content.tests.factories import experiment_hero
from core import clock
from core.replicas import REPLICA, PrimaryReplicaRouter, replica_alias
from experiments.models import Exposure
from experiments.services import arm_counts, experiment_create, experiment_start
from recommendations.training_data import read_events
from segments.models import Segment, SegmentMembership
from segments.services import segment_save
from tracking.services import ingest_events

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the replica path streams with PostgreSQL's COPY"
)


def allow_in_this_test(alias: str, monkeypatch) -> None:
    """Django lets a test open only the connections it declared (`databases`), read when a
    connection opens: declare the alias added after the test started."""
    patched = BaseDatabaseWrapper.ensure_connection
    cells = dict(zip(patched.__code__.co_freevars, patched.__closure__ or (), strict=True))
    if "cls" in cells:
        case = cells["cls"].cell_contents
        monkeypatch.setattr(case, "databases", frozenset(case.databases) | {alias})


@pytest.fixture
def replica(transactional_db, monkeypatch):
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    connections.settings[REPLICA] = {**primary, "TEST": {**primary["TEST"], "MIRROR": "default"}}
    allow_in_this_test(REPLICA, monkeypatch)
    try:
        yield connections[REPLICA]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def test_without_a_replica_heavy_reads_use_the_primary(db):
    assert replica_alias() == DEFAULT_DB_ALIAS


def test_the_router_writes_to_the_primary_and_never_migrates_the_replica():
    router = PrimaryReplicaRouter()
    assert router.db_for_write(Segment) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Segment) is None
    assert router.allow_migrate(REPLICA, "tracking") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "tracking") is True


def views(visitor_ids: list[str]) -> None:
    events = [
        {"type": "product_view", "visitor_id": vid, "properties": {"product_id": "P1"}}
        for vid in visitor_ids
    ]
    assert ingest_events(events).accepted == len(events)


def test_segment_members_are_read_on_the_replica_and_written_on_the_primary(replica):
    assert replica_alias() == REPLICA
    views(["v1", "v2", "v3"])
    replica.close()
    segment_save(
        key="viewers",
        name="Viewers",
        rule={"field": "profile.counters.product_view", "op": "gte", "value": 1},
    )
    assert replica.connection is not None  # the members' scan streamed from it
    members = SegmentMembership.objects.filter(segment__key="viewers", left_at__isnull=True)
    assert sorted(members.values_list("visitor_id", flat=True)) == ["v1", "v2", "v3"]
    # An object read on the replica is saved on the primary.
    segment = Segment.objects.using(REPLICA).get(key="viewers")
    segment.name = "Product viewers"
    segment.save()
    assert Segment.objects.get(key="viewers").name == "Product viewers"


def test_experiment_counts_and_training_reads_query_the_replica(replica):
    experiment_hero()
    experiment = experiment_start(
        experiment=experiment_create(
            key="hero-test",
            name="Hero test",
            placement_key="home-hero",
            arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
        )
    )
    now = clock.now()
    Exposure.objects.bulk_create(
        Exposure(experiment=experiment, arm=arm, visitor_id=f"{arm}1", first_exposed_at=now)
        for arm in ("a", "b")
    )
    views(["a1"])
    with CaptureQueriesContext(replica) as on_replica:
        counts = arm_counts(experiment)
        rows = read_events(
            since=now - timedelta(days=1),
            until=now + timedelta(days=1),
            weights={"product_view": 1.0},
        )
    assert sum(arm.exposures for arm in counts.pooled()) == 2
    assert len(rows) == 1
    sql = " ".join(query["sql"] for query in on_replica.captured_queries)
    assert "experiments_exposure" in sql and "tracking_event" in sql
