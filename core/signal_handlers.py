"""Signal wiring of core: the record of periodic task runs and of admin jobs, and the
in-process scheduler."""

import os
import sys

from celery.signals import task_postrun, task_prerun
from django.core.signals import request_started

from core import jobs, scheduler


def connect_scheduler_signals() -> None:
    task_prerun.connect(scheduler.record_task_started, dispatch_uid="pz-scheduled-run-start")
    task_postrun.connect(scheduler.record_task_finished, dispatch_uid="pz-scheduled-run-end")
    task_prerun.connect(jobs.job_started, dispatch_uid="pz-job-start")
    task_postrun.connect(jobs.job_ended, dispatch_uid="pz-job-end")
    request_started.connect(
        scheduler.start_in_process_scheduler, dispatch_uid="pz-in-process-scheduler"
    )


def serves_with_runserver() -> bool:
    """True in the process of `manage.py runserver` that serves: the autoreloader's child
    (RUN_MAIN), or the only process under --noreload. The reloader's parent serves nothing."""
    if os.environ.get("RUN_MAIN") == "true":
        return True
    return sys.argv[1:2] == ["runserver"] and "--noreload" in sys.argv


def start_scheduler_with_runserver() -> None:
    """`make demo` serves with runserver: run the schedule from the start, not from the
    first request (other servers start it with their first request)."""
    if serves_with_runserver():
        scheduler.start_in_process_scheduler()
