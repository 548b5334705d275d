"""Long jobs started from the admin, with a record of their progress (`JobRun`).

`start_job` records the job, then sends its Celery task once the request's transaction
commits, under a task id of its own ("job-…"). The task signals mark the job running and
then finished or failed, wherever the task runs: a worker, or inline when tasks are eager
(no broker; `make demo`), in which case the job is done before the view redirects.
Other tasks cost the signals nothing: they are told apart by their id, without a query.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from django.db import transaction

from core import clock
from core.models import JobRun

JOB_TASK_ID_PREFIX = "job-"
ERROR_LENGTH = 500


def start_job(
    task: Any,
    *args: Any,
    label: str,
    return_url: str = "",
    return_label: str = "",
    user: Any = None,
) -> JobRun:
    """Record a job and send `task(*args)` after commit; the job as it stands then (done
    already when tasks run eagerly outside a transaction)."""
    job = JobRun.objects.create(
        task_id=f"{JOB_TASK_ID_PREFIX}{uuid4().hex}",
        task=task.name,
        label=label,
        return_url=return_url,
        return_label=return_label,
        queued_at=clock.now(),
        requested_by=user if user is not None and user.is_authenticated else None,
    )

    def send() -> None:
        try:
            task.apply_async(args=args, task_id=job.task_id)
        except Exception as exc:  # eager tasks raise their own error here
            job_failed(job.task_id, exc)

    transaction.on_commit(send)
    job.refresh_from_db()
    return job


def is_job(task_id: str | None) -> bool:
    return bool(task_id) and str(task_id).startswith(JOB_TASK_ID_PREFIX)


def job_started(sender: Any = None, task_id: str | None = None, **_: Any) -> None:
    """task_prerun: a job's task began."""
    if is_job(task_id):
        JobRun.objects.filter(task_id=task_id).update(
            status=JobRun.Status.RUNNING, started_at=clock.now()
        )


def job_ended(
    sender: Any = None, task_id: str | None = None, state: str | None = None, **kwargs: Any
) -> None:
    """task_postrun: a job's task ended (a retry keeps it running)."""
    if not is_job(task_id) or state not in ("SUCCESS", "FAILURE"):
        return
    if state == "FAILURE":
        job_failed(str(task_id), kwargs.get("retval"))
        return
    JobRun.objects.filter(task_id=task_id).update(
        status=JobRun.Status.FINISHED, finished_at=clock.now()
    )


def job_failed(task_id: str, error: Any) -> None:
    JobRun.objects.filter(task_id=task_id).exclude(status=JobRun.Status.FAILED).update(
        status=JobRun.Status.FAILED,
        finished_at=clock.now(),
        error=(str(error) or type(error).__name__)[:ERROR_LENGTH],
    )


def took(job: JobRun) -> timedelta | None:
    """How long the job ran (from its start, or from its queueing if it never started)."""
    if job.finished_at is None:
        return None
    return job.finished_at - (job.started_at or job.queued_at)


def duration_in_words(duration: timedelta) -> str:
    """ "3.2 s", "4 min 5 s", "1 h 2 min"."""
    seconds = duration.total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _at(moment: datetime) -> str:
    return clock.localtime(moment).strftime("%H:%M:%S")


def job_summary(job: JobRun) -> str:
    """The job's state in a sentence: "Training the recommender: finished at 14:02:07
    (took 3.2 s)."."""
    if job.status == JobRun.Status.FINISHED and job.finished_at:
        duration = took(job)
        length = f" (took {duration_in_words(duration)})" if duration is not None else ""
        return f"{job.label}: finished at {_at(job.finished_at)}{length}."
    if job.status == JobRun.Status.FAILED and job.finished_at:
        return f"{job.label}: failed at {_at(job.finished_at)}: {job.error}"
    if job.status == JobRun.Status.RUNNING and job.started_at:
        return f"{job.label}: running since {_at(job.started_at)}."
    return f"{job.label}: waiting to start (queued at {_at(job.queued_at)})."
