"""The one Celery app, configured from Django settings (CELERY_* names).

Delivery is at least once: tasks are acknowledged after they finish (CELERY_TASK_ACKS_LATE,
CELERY_TASK_REJECT_ON_WORKER_LOST), so a worker killed mid-task gets its task redelivered
to another (tests/reliability/test_killed_worker.py); every task is idempotent for that.
"""

import os
import time
from datetime import datetime
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_prerun, worker_process_init, worker_ready
from celery.utils.log import get_task_logger

from config import queues

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


class TaskPolicies:
    """Annotations every task gets (read when the tasks are bound, settings loaded).

    A database error that usually passes (a dropped connection, a deadlock, a serialization
    failure, the server restarting) is retried with exponential backoff instead of failing
    the task; at most five times, also for tasks that retry their own errors forever.
    A routed task carries its route's priority (config/queues.py).
    Time limits are those of the task's queue (config/queues.py): a follow-up of an ingest
    gets a minute, training as long as `PZ_RECOMMENDER_TRAINING_TIMEOUT` (after which its
    row counts as abandoned), and no longer.
    """

    def annotate(self, task: Any) -> dict[str, Any] | None:
        from django.conf import settings
        from django.db import InterfaceError, OperationalError

        if task.name.startswith("celery."):
            return None
        policy: dict[str, Any] = {
            "autoretry_for": (OperationalError, InterfaceError),
            "retry_backoff": 5,
            "retry_backoff_max": 300,
            "retry_kwargs": {"max_retries": 5},
        }
        route = queues.route_of(task.name)
        if route is not None:
            # The route's priority as the task's own: Celery fills every task's priority
            # from CELERY_TASK_DEFAULT_PRIORITY, and a priority in the options wins over
            # the router's, so without this every routed task went out at the default.
            policy["priority"] = queues.broker_priority(route[1], task.app.conf.broker_url)
        spec = queues.spec_of(task.name)
        if spec.suffix == "training":
            timeout = settings.PZ_RECOMMENDER_TRAINING_TIMEOUT
            policy |= {"time_limit": timeout, "soft_time_limit": timeout - 60}
        elif spec.time_limit:
            policy |= {"time_limit": spec.time_limit, "soft_time_limit": spec.soft_time_limit}
        return policy


# A task logger: the worker logs it at its --loglevel, whatever LOGGING says.
logger = get_task_logger("pz.queue_wait")

app = Celery("pz")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_annotations = [TaskPolicies()]
app.autodiscover_tasks()


@worker_process_init.connect(dispatch_uid="pz-freeze-child-heap")
def freeze_child_heap(**kwargs: Any) -> None:
    # A pool child just forked: what it inherited stays out of collections (core/heap.py).
    from core.heap import freeze_startup_heap

    freeze_startup_heap(collect=False)


@worker_ready.connect(dispatch_uid="pz-freeze-worker-heap")
def freeze_worker_heap(**kwargs: Any) -> None:
    # The main process, which runs the tasks of the solo and threads pools.
    from core.heap import freeze_startup_heap

    freeze_startup_heap()


@before_task_publish.connect(dispatch_uid="pz-publish-timestamp")
def stamp_publish_time(properties: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """The AMQP `timestamp` of every task message, so the broker can tell the age of a
    queue's oldest message (`rabbitmqctl list_queues name head_message_timestamp`: the
    queue lag the load test reports, and what to alert on in production)."""
    if properties is not None:
        # The wall clock (not business time): the broker compares it with its own.
        properties.setdefault("timestamp", int(time.time()))  # noqa: TID251


def queue_wait(
    properties: dict[str, Any] | None, eta: str | datetime | None, now: float
) -> float | None:
    """Seconds a task waited for a worker: from its publish time, or from its ETA when it
    was delayed (a countdown is not lag). None without a publish time (1 s resolution)."""
    stamp = (properties or {}).get("timestamp")
    if not isinstance(stamp, int | float):
        return None
    ready = float(stamp)
    if eta:
        at = datetime.fromisoformat(eta) if isinstance(eta, str) else eta
        ready = max(ready, at.timestamp())
    return max(0.0, now - ready)


@task_prerun.connect(dispatch_uid="pz-queue-wait")
def log_queue_wait(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    """Each task's wait in its queue, by name and priority, at INFO: the broker's
    `head_message_timestamp` only shows the next message of a priority queue, so the
    load test reads the lag per task type from these lines (loadtest/gunicorn_run.py)."""
    from django.conf import settings

    request = getattr(task, "request", None)
    if not settings.PZ_LOG_QUEUE_WAIT or request is None or request.called_directly:
        return
    properties = request.properties or {}
    wait = queue_wait(properties, request.eta, time.time())  # noqa: TID251 - publish clock
    if wait is not None:
        logger.info(
            "Task %s[%s] waited %.1fs priority %s",
            task.name,
            task_id,
            wait,
            properties.get("priority"),
        )
