"""Celery task durations, measured between the task_prerun and task_postrun signals."""

import time
from typing import Any

from celery.signals import task_postrun, task_prerun

from observability.metrics import CELERY_TASK_SECONDS

# task_id -> start; prerun and postrun of one task run in the same worker process.
_started: dict[str, float] = {}


def task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    start = _started.pop(task_id, None) if task_id else None
    if start is None:
        return
    name = getattr(task, "name", None) or "unknown"
    CELERY_TASK_SECONDS.labels(task=name, state=state or "UNKNOWN").observe(
        time.perf_counter() - start
    )


def connect_task_signals() -> None:
    task_prerun.connect(task_started, dispatch_uid="pz-observability-task-prerun")
    task_postrun.connect(task_finished, dispatch_uid="pz-observability-task-postrun")
