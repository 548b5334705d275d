"""A read replica for heavy read-only queries, when `DATABASE_REPLICA_URL` is set.

Requests and writes always use the primary ("default"). Code whose reads are heavy and may
lag the primary by a moment (segment materialization's member scan, experiment results,
variant statistics, recommender training reads, KPIs) asks for `replica_alias()` with
`.using()` or `connections[...]`; without a replica that is the primary. The router sends
every write to the primary (also of objects read from the replica) and never migrates the
replica. Tests add a replica alias on the test database (the same server) where they
test this (core/tests/test_replicas.py); the suite runs without one.
"""

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"


def replica_alias() -> str:
    return REPLICA if REPLICA in connections.settings else DEFAULT_DB_ALIAS


class PrimaryReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return None  # the primary, unless the caller chose the replica with .using()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA
