"""Readiness checks of the services pz depends on; each reports status and latency.

The database is required; the cache and the broker only degrade the service (the cache
is optional by design, the broker only delays background work).
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

OK, DEGRADED, DOWN, SKIPPED = "ok", "degraded", "down", "skipped"
BROKER_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class CheckResult:
    status: str
    latency_ms: float
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"status": self.status, "latency_ms": self.latency_ms}
        if self.detail:
            body["detail"] = self.detail
        return body


def _timed(check: Callable[[], tuple[str, str]], failure: str) -> CheckResult:
    start = time.perf_counter()
    try:
        status, detail = check()
    except Exception as exc:  # noqa: BLE001 - any failure of the dependency is its status
        status, detail = failure, type(exc).__name__
    return CheckResult(status, round((time.perf_counter() - start) * 1000, 2), detail)


def _database() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK, ""


def _cache() -> tuple[str, str]:
    # django-redis ignores errors (IGNORE_EXCEPTIONS), so a read-back is the real test.
    key, token = "pz:readyz", uuid.uuid4().hex
    cache.set(key, token, 10)
    if cache.get(key) != token:
        return DEGRADED, "cache did not return the value written"
    return OK, ""


def _broker() -> tuple[str, str]:
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return SKIPPED, "in-memory broker (eager mode)"
    from kombu import Connection

    with Connection(
        url,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={"socket_timeout": BROKER_TIMEOUT_SECONDS, "max_retries": 0},
    ) as conn:
        conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    return OK, ""


def check_database() -> CheckResult:
    return _timed(_database, DOWN)


def check_cache() -> CheckResult:
    return _timed(_cache, DEGRADED)


def check_broker() -> CheckResult:
    return _timed(_broker, DEGRADED)


def readiness() -> tuple[bool, dict[str, CheckResult]]:
    """(ready, checks): ready when the database answers, whatever the others say."""
    checks = {
        "database": check_database(),
        "cache": check_cache(),
        "broker": check_broker(),
    }
    return checks["database"].status == OK, checks
