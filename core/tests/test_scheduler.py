"""Which periodic entries the in-process scheduler runs when, and the record of runs."""

from datetime import timedelta
from pathlib import Path

import pytest
from celery.schedules import crontab

from core import clock
from core.models import ScheduledTaskRun
from core.scheduler import InProcessScheduler, record_task_finished, record_task_started

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "every-minute": {"task": "a.minute_task", "schedule": 60},
    "every-day": {"task": "a.daily_task", "schedule": 24 * 60 * 60},
    "at-night": {"task": "a.nightly_task", "schedule": crontab(hour=3, minute=30)},
}


class FakeTask:
    def __init__(self, name: str) -> None:
        self.name = name


def scheduler(tmp_path: Path) -> InProcessScheduler:
    return InProcessScheduler(SCHEDULE, tick_seconds=1, lock_file=tmp_path / "lock")


def test_short_entries_run_at_once_long_ones_wait_their_turn(tmp_path, time_machine, settings):
    settings.CELERY_BEAT_SCHEDULE = SCHEDULE
    beat = scheduler(tmp_path)

    assert beat.due_entries() == ["every-minute"]

    record_task_started(task=FakeTask("a.minute_task"))
    record_task_finished(task=FakeTask("a.minute_task"), state="SUCCESS")
    assert beat.due_entries() == []

    time_machine.shift(timedelta(minutes=1, seconds=1))
    assert beat.due_entries() == ["every-minute"]

    time_machine.shift(timedelta(days=1))
    assert beat.due_entries() == ["every-minute", "every-day", "at-night"]


def test_runs_are_recorded_with_their_outcome_and_other_tasks_are_not(settings):
    settings.CELERY_BEAT_SCHEDULE = SCHEDULE
    record_task_started(task=FakeTask("a.daily_task"))
    record_task_finished(task=FakeTask("a.daily_task"), state="FAILURE", retval=ValueError("x"))
    record_task_started(task=FakeTask("b.not_periodic_task"))

    run = ScheduledTaskRun.objects.get()
    assert (run.task, run.last_succeeded, run.last_error) == ("a.daily_task", False, "x")
    assert run.runs == 1
    assert run.last_started_at <= run.last_finished_at <= clock.now()


def test_the_dashboard_shows_each_entry_with_its_rhythm_and_last_run(admin_client, settings):
    settings.CELERY_BEAT_SCHEDULE = SCHEDULE
    record_task_started(task=FakeTask("a.minute_task"))
    record_task_finished(task=FakeTask("a.minute_task"), state="SUCCESS")

    page = admin_client.get("/admin/").content.decode()

    assert "Scheduled work" in page
    assert "Every minute" in page and "every minute" in page and "finished" in page
    assert "Every day" in page and "At night" in page and "daily at 03:30 UTC" in page
    assert "not yet" in page


def test_the_dashboard_names_the_periodic_work_in_marketer_words(admin_client):
    page = admin_client.get("/admin/").content.decode()

    assert "Segment results" in page and "Waiting trigger firings" in page
    assert "Segment kpis" not in page and "Refresh rfm" not in page
