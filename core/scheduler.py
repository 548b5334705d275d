"""The periodic work (`CELERY_BEAT_SCHEDULE`) of the embedded default, and a record of
when each periodic task last ran, whoever ran it.

With a broker, Celery beat sends the schedule to workers. Without one (`make demo`: tasks
run eagerly, inside the request) nothing would ever send them, so due trigger firings
would wait forever and figures would never refresh. Here a daemon thread of the serving
process runs the due tasks instead. It starts with the first request the process serves,
so runserver's autoreloader parent (which serves nothing) never runs it, and it runs only
in the process holding an exclusive lock on `PZ_SCHEDULER_LOCK_FILE`: one process per
machine, whatever the number of workers, and the lock goes with a process that dies.
"""

import fcntl
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any, TextIO

from celery import current_app
from celery.schedules import BaseSchedule, crontab, maybe_schedule, schedule
from django.conf import settings
from django.db import close_old_connections

from core import clock
from core.models import ScheduledTaskRun

logger = logging.getLogger(__name__)

# Entries at most this often run at once when they have never run; longer ones (daily
# training, clustering, retention) wait for their first turn, as under Celery beat.
RUN_AT_ONCE_UP_TO = timedelta(hours=1)


def scheduled_task_names() -> set[str]:
    return {str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def record_task_started(sender: Any = None, task: Any = None, **kwargs: Any) -> None:
    """task_prerun: note the start of a periodic task (any other task is ignored)."""
    name = getattr(task, "name", "")
    if name in scheduled_task_names():
        ScheduledTaskRun.objects.update_or_create(
            task=name, defaults={"last_started_at": clock.now()}
        )


def record_task_finished(
    sender: Any = None, task: Any = None, state: str | None = None, retval: Any = None, **_: Any
) -> None:
    """task_postrun: note how a periodic task ended."""
    name = getattr(task, "name", "")
    if name not in scheduled_task_names():
        return
    run, _created = ScheduledTaskRun.objects.get_or_create(task=name)
    run.last_finished_at = clock.now()
    run.last_succeeded = state == "SUCCESS"
    run.last_error = "" if run.last_succeeded else str(retval)[:500]
    run.runs += 1
    run.save()


def _schedule_of(entry: dict[str, Any]) -> BaseSchedule:
    sched = maybe_schedule(entry["schedule"], app=current_app)
    sched.nowfun = clock.now
    return sched


class InProcessScheduler:
    """Runs the due entries of a beat schedule, one after another, in a daemon thread."""

    def __init__(
        self, beat_schedule: dict[str, dict[str, Any]], tick_seconds: float, lock_file: Path
    ) -> None:
        self.beat_schedule = beat_schedule
        self.tick_seconds = tick_seconds
        self.lock_file = lock_file
        self.started_at = clock.now()
        self._lock_handle: TextIO | None = None
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def acquire_lock(self) -> bool:
        """Take the machine-wide lock without waiting; False if another process has it."""
        handle = self.lock_file.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_handle = handle
        return True

    def release_lock(self) -> None:
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    def last_runs(self) -> dict[str, datetime]:
        return {
            run.task: run.last_started_at
            for run in ScheduledTaskRun.objects.exclude(last_started_at=None)
            if run.last_started_at is not None
        }

    def due_entries(self) -> list[str]:
        """Names of the entries due now, in schedule order."""
        last_runs = self.last_runs()
        due = []
        for name, entry in self.beat_schedule.items():
            sched = _schedule_of(entry)
            last = last_runs.get(entry["task"])
            if last is None:
                short = type(sched) is schedule and sched.run_every <= RUN_AT_ONCE_UP_TO
                if short and not isinstance(sched, crontab):
                    due.append(name)
                    continue
                last = self.started_at
            if sched.is_due(last).is_due:
                due.append(name)
        return due

    def run_due(self) -> list[str]:
        """Run every due entry now, in this thread; the task signals record each run."""
        ran = []
        for name in self.due_entries():
            entry = self.beat_schedule[name]
            module, _, _ = entry["task"].rpartition(".")
            import_module(module)  # registers the task, as a worker's imports do
            task = current_app.tasks[entry["task"]]
            result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            if result.failed():
                logger.warning("scheduled task %s failed: %s", entry["task"], result.result)
            ran.append(name)
        return ran

    def _loop(self) -> None:
        # The first tick waits too: the process may still be loading its apps.
        while not self._stop.wait(self.tick_seconds):
            close_old_connections()
            try:
                self.run_due()
            except Exception:  # the next tick tries again; a failure must not stop the clock
                logger.exception("in-process scheduler tick failed")
            finally:
                close_old_connections()

    def start(self) -> bool:
        """Start the thread if this process gets the lock; True if it did."""
        if not self.acquire_lock():
            return False
        self.thread = threading.Thread(target=self._loop, name="pz-scheduler", daemon=True)
        self.thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
        self.release_lock()


@dataclass(frozen=True)
class ScheduledWork:
    """One periodic entry as the dashboard shows it."""

    label: str
    every: str
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_succeeded: bool | None
    last_error: str


def _every_in_words(sched: BaseSchedule) -> str:
    if isinstance(sched, crontab):
        hours, minutes = sorted(sched.hour), sorted(sched.minute)
        if len(hours) == 1 and len(minutes) == 1:
            return f"daily at {hours[0]:02d}:{minutes[0]:02d} UTC"
        return "on a fixed timetable"
    seconds = int(sched.run_every.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds} seconds"


# The periodic entries in marketer words on the dashboard; an entry not named here shows
# its schedule name ("apply-retention" as "Apply retention").
WORK_LABELS = {
    "refresh-rfm-scores": "Customer value scores (RFM)",
    "recompute-due-segments": "Segment memberships",
    "cluster-visitors": "Visitor clusters",
    "segment-kpis": "Segment results",
    "experiment-results": "Experiment results",
    "train-recommender": "Recommender training",
    "refresh-variant-stats": "Placement performance",
    "replay-announcements": "Settings changes passed to every server",
    "ensure-event-partitions": "Event storage for the coming months",
    "apply-retention": "Deleting data past its retention period",
    "trigger-due-firings": "Waiting trigger firings",
    "trigger-sweeps": "Periodic triggers",
}


def scheduled_work() -> list[ScheduledWork]:
    """The periodic entries, each with its rhythm in words and its last run."""
    runs = {run.task: run for run in ScheduledTaskRun.objects.all()}
    rows = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        run = runs.get(str(entry["task"]))
        label = WORK_LABELS.get(name) or name.replace("-", " ").capitalize()
        rows.append(
            ScheduledWork(
                label=label,
                every=_every_in_words(_schedule_of(entry)),
                last_started_at=run.last_started_at if run else None,
                last_finished_at=run.last_finished_at if run else None,
                last_succeeded=run.last_succeeded if run else None,
                last_error=run.last_error if run else "",
            )
        )
    return rows


_process_scheduler: InProcessScheduler | None = None
_start_lock = threading.Lock()


def in_process_scheduler_enabled() -> bool:
    return bool(settings.PZ_INPROCESS_SCHEDULER) and bool(current_app.conf.task_always_eager)


def start_in_process_scheduler(**_: Any) -> InProcessScheduler | None:
    """request_started: start this process's scheduler once, where enabled; the process
    that does not get the lock tries no more."""
    global _process_scheduler
    if _process_scheduler is not None or not in_process_scheduler_enabled():
        return _process_scheduler
    with _start_lock:
        if _process_scheduler is None:
            scheduler = InProcessScheduler(
                settings.CELERY_BEAT_SCHEDULE,
                tick_seconds=settings.PZ_SCHEDULER_TICK_SECONDS,
                lock_file=Path(settings.PZ_SCHEDULER_LOCK_FILE),
            )
            if scheduler.start():
                logger.info("in-process scheduler started (tasks run eagerly, no broker)")
            _process_scheduler = scheduler
    return _process_scheduler


def running_scheduler() -> InProcessScheduler | None:
    """This process's scheduler if it runs the schedule (holds the lock)."""
    scheduler = _process_scheduler
    return scheduler if scheduler is not None and scheduler.thread is not None else None


def stop_in_process_scheduler() -> None:
    """Stop and forget this process's scheduler (tests)."""
    global _process_scheduler
    if _process_scheduler is not None:
        _process_scheduler.stop()
        _process_scheduler = None
