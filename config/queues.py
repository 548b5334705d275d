"""Named Celery queues, the routing of tasks to them and the worker pools that consume them.

Every queue name starts with one prefix (`PZ_CELERY_QUEUE`, default "pz"), so a CI run, a
load test or a reliability test has queues of its own on a shared broker:

    <prefix>             anything not routed below (maintenance: retention, RFM, replays)
    <prefix>.ingest      follow-up of ingested events (segment refresh, trigger matching)
    <prefix>.delivery    e-mails and webhooks leaving the building
    <prefix>.segments    segment materialization and clustering
    <prefix>.experiments experiment results, variant statistics, KPIs
    <prefix>.training    recommender training (long, CPU-heavy)

Pools (`WORKER_POOLS`) group queues by how long their tasks run, so a training that takes an
hour can never sit in front of the follow-up of an ingest: `realtime` consumes ingest and
delivery only, `batch` the rest except training, `training` only training. Commands:
`deploy/worker.sh <pool>` starts a worker of a pool (README "Workers").
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from kombu import Queue

# RabbitMQ queues declared with x-max-priority honour each message's priority (0..9; higher
# first). The default queue is declared plain: queues declared earlier (by an older release
# or a test publishing to it by name) would refuse other arguments.
MAX_PRIORITY = 9


@dataclass(frozen=True)
class QueueSpec:
    suffix: str  # "" is the default queue
    # Seconds a task may run (hard, soft). None: the task's own or the global limit.
    time_limit: int | None = None
    soft_time_limit: int | None = None


QUEUES = (
    QueueSpec("", time_limit=600, soft_time_limit=540),
    QueueSpec("ingest", time_limit=60, soft_time_limit=50),
    QueueSpec("delivery", time_limit=120, soft_time_limit=100),
    QueueSpec("segments", time_limit=1800, soft_time_limit=1740),
    QueueSpec("experiments", time_limit=900, soft_time_limit=840),
    # Training's limits come from PZ_RECOMMENDER_TRAINING_TIMEOUT (config.celery).
    QueueSpec("training"),
)

# (task name pattern, queue suffix, priority); the first match wins. Patterns by name let
# apps added later land on the right queue without touching this file: any task of a
# `delivery`/`email` module or named send_*/deliver_* is delivery, any kpi task an
# experiments one.
ROUTES: tuple[tuple[str, str, int], ...] = (
    ("segments.tasks.refresh_visitor_memberships_task", "ingest", 8),
    ("triggers.tasks.handle_events_task", "ingest", 8),
    ("triggers.tasks.check_firings_task", "ingest", 6),
    ("triggers.tasks.process_due_firings_task", "ingest", 6),
    ("triggers.tasks.record_redemptions_task", "ingest", 4),
    ("tracking.tasks.replay_pending_announcements_task", "ingest", 3),
    ("tracking.tasks.build_recent_windows_task", "ingest", 8),
    ("triggers.tasks.deliver_*", "delivery", 7),
    ("*.email_tasks.*", "delivery", 6),
    ("*email*.tasks.*", "delivery", 6),
    ("*.tasks.send_*", "delivery", 6),
    ("*.tasks.deliver_*", "delivery", 7),
    ("*.tasks.*email*", "delivery", 6),
    ("segments.tasks.recompute_segment_task", "segments", 6),
    ("segments.tasks.recompute_due_segments_task", "segments", 4),
    ("segments.clustering_tasks.*", "segments", 1),
    ("segments.*", "segments", 4),
    ("experiments.*", "experiments", 4),
    ("content.tasks.refresh_variant_stats_task", "experiments", 3),
    ("insights.*", "experiments", 3),
    ("*.tasks.*kpi*", "experiments", 3),
    ("recommendations.tasks.train_*", "training", 1),
)

WORKER_POOLS: dict[str, tuple[str, ...]] = {
    "realtime": ("ingest", "delivery"),
    "batch": ("", "segments", "experiments"),
    "training": ("training",),
}


def prefix() -> str:
    return os.environ.get("PZ_CELERY_QUEUE", "pz")


def queue_name(suffix: str, base: str | None = None) -> str:
    base = prefix() if base is None else base
    return f"{base}.{suffix}" if suffix else base


def all_queue_names(base: str | None = None) -> list[str]:
    return [queue_name(spec.suffix, base) for spec in QUEUES]


def pool_queue_names(pool: str, base: str | None = None) -> list[str]:
    return [queue_name(suffix, base) for suffix in WORKER_POOLS[pool]]


def kombu_queues(base: str | None = None) -> list[Queue]:
    queues = []
    for spec in QUEUES:
        name = queue_name(spec.suffix, base)
        arguments = {"x-max-priority": MAX_PRIORITY} if spec.suffix else None
        queues.append(Queue(name, routing_key=name, queue_arguments=arguments))
    return queues


def route_of(task_name: str) -> tuple[str, int] | None:
    """(queue suffix, priority) of a task, None for the default queue."""
    for pattern, suffix, priority in ROUTES:
        if fnmatchcase(task_name, pattern):
            return suffix, priority
    return None


def spec_of(task_name: str) -> QueueSpec:
    route = route_of(task_name)
    suffix = route[0] if route else ""
    return next(spec for spec in QUEUES if spec.suffix == suffix)


def broker_priority(priority: int, broker_url: str | None) -> int:
    """A route's priority as the broker orders it: RabbitMQ delivers the highest first,
    kombu's Redis transport the lowest (it polls its priority sub-queues from 0 up)."""
    if (broker_url or "").split("://", 1)[0] in {"redis", "rediss"}:
        return MAX_PRIORITY - priority
    return priority


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any):  # noqa: ANN201
    """Celery router (`task_routes`): explicit `queue=` options still win over this."""
    route = route_of(name)
    if route is None:
        return None
    suffix, priority = route
    name = queue_name(suffix)
    from django.conf import settings

    broker = settings.CELERY_BROKER_URL
    return {"queue": name, "routing_key": name, "priority": broker_priority(priority, broker)}


def main(argv: list[str]) -> int:
    """`main(["", pool])` prints a pool's (or "all") comma-separated queues for `celery -Q`
    (deploy/worker.sh)."""
    which = argv[1] if len(argv) > 1 else "all"
    if which != "all" and which not in WORKER_POOLS:
        sys.stderr.write(f"unknown pool {which!r}; one of: all, {', '.join(WORKER_POOLS)}\n")
        return 2
    names = all_queue_names() if which == "all" else pool_queue_names(which)
    sys.stdout.write(",".join(names) + "\n")
    return 0
