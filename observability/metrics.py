"""The Prometheus metrics of pz, defined once, and their exposition.

Under gunicorn every worker is a process with its own counters. Set
`PROMETHEUS_MULTIPROC_DIR` to an empty, writable directory (wiped at each deploy) before
the workers start and use `observability/gunicorn_conf.py`, which marks dead workers; the
exposition then aggregates every worker's files (`MultiProcessCollector`).
"""

import os
from collections.abc import Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 600.0)

HTTP_REQUEST_SECONDS = Histogram(
    "pz_http_request_duration_seconds",
    "Time to answer a request, by URL route name (not path: paths hold visitor ids).",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_RESPONSES = Counter(
    "pz_http_responses", "Responses by route name and status code.", ["route", "method", "status"]
)
DECIDE_SECONDS = Histogram(
    "pz_decide_duration_seconds",
    "Time to answer POST /api/v1/decide, parsing and rendering included.",
    buckets=LATENCY_BUCKETS,
)
EVENTS_INGESTED = Counter("pz_events_ingested", "Events accepted by the events API.")
EVENTS_REJECTED = Counter(
    "pz_events_rejected",
    "Events refused by the events API: one by one (invalid) or the whole batch.",
    ["reason"],
)
EVENTS_DROPPED = Counter(
    "pz_events_dropped", "Valid events not stored by the events API.", ["reason"]
)
CELERY_TASK_SECONDS = Histogram(
    "pz_celery_task_duration_seconds",
    "Celery task run time by task name and final state.",
    ["task", "state"],
    buckets=TASK_BUCKETS,
)


def record_ingest(body: Mapping[str, Any]) -> None:
    """Count one events-API answer (`IngestResult.as_response()` shape)."""
    EVENTS_INGESTED.inc(int(body.get("accepted") or 0))
    rejected = body.get("rejected") or []
    if rejected:
        EVENTS_REJECTED.labels(reason="invalid").inc(len(rejected))
    dropped = int(body.get("dropped_no_consent") or 0)
    if dropped:
        EVENTS_DROPPED.labels(reason="no_consent").inc(dropped)
    duplicates = int(body.get("duplicates") or 0)
    if duplicates:
        EVENTS_DROPPED.labels(reason="duplicate").inc(duplicates)


def record_rejected_batch() -> None:
    EVENTS_REJECTED.labels(reason="batch").inc()


def exposition() -> tuple[bytes, str]:
    """The text format of every metric; all workers' when running multi-process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
