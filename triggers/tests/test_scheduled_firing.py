"""The embedded default (no broker, tasks eager) runs the periodic schedule by itself: a
cart left in the shop fires its reminder once the wait is over, with nobody pressing a
button and no worker or beat running."""

import time
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings

from core.models import ScheduledTaskRun
from core.scheduler import InProcessScheduler, running_scheduler, stop_in_process_scheduler
from triggers.models import Firing
from triggers.tests.factories import email_trigger, ingest, known_visitor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

DUE_FIRINGS = {"task": "triggers.tasks.process_due_firings_task", "schedule": 1.0}


@pytest.fixture
def demo_scheduler(tmp_path: Path, settings):
    """The demo's settings, with the due-firings check every second instead of every
    minute so the test takes seconds."""
    settings.PZ_INPROCESS_SCHEDULER = True
    settings.PZ_SCHEDULER_TICK_SECONDS = 0.2
    settings.PZ_SCHEDULER_LOCK_FILE = str(tmp_path / "scheduler.lock")
    with override_settings(CELERY_BEAT_SCHEDULE={"trigger-due-firings": DUE_FIRINGS}):
        yield settings
    stop_in_process_scheduler()


def wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_an_abandoned_cart_fires_by_itself(demo_scheduler, client):
    known_visitor()
    email_trigger(wait_seconds=2)
    ingest("add_to_cart")
    assert Firing.objects.get().status == Firing.Status.PENDING

    client.get("/")  # the first request of the serving process starts its scheduler

    scheduler = running_scheduler()
    assert scheduler is not None
    assert wait_for(lambda: Firing.objects.get().status == Firing.Status.FIRED)
    # The send runs in the scheduler's thread after the decision commits.
    assert wait_for(lambda: len(mail.outbox) > 0)
    assert [m.to for m in mail.outbox] == [["v1@example.com"]]
    assert wait_for(lambda: ScheduledTaskRun.objects.filter(task=DUE_FIRINGS["task"]).exists())
    run = ScheduledTaskRun.objects.get(task=DUE_FIRINGS["task"])
    assert run.last_succeeded and run.runs >= 1 and run.last_finished_at is not None


def test_only_one_process_runs_the_schedule(demo_scheduler, client):
    client.get("/")
    assert running_scheduler() is not None
    # Another process of the same site (the reloader's next child, a second worker).
    other = InProcessScheduler(
        {"trigger-due-firings": DUE_FIRINGS},
        tick_seconds=0.2,
        lock_file=Path(demo_scheduler.PZ_SCHEDULER_LOCK_FILE),
    )

    assert other.start() is False and other.thread is None
    stop_in_process_scheduler()
    assert other.start() is True  # the lock is free once the first one is gone
    other.stop()
