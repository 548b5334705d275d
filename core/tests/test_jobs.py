"""Admin jobs (`core.jobs`): a job started from a button records its progress through the
task signals, is done before the redirect when tasks run eagerly, says how it failed, and
its page follows it while a worker runs it."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.test import RequestFactory

from core import jobs
from core.admin_views import job_response
from core.models import JobRun

pytestmark = pytest.mark.django_db


@shared_task
def add(a: int, b: int) -> int:
    return a + b


@shared_task
def explode() -> None:
    raise ValueError("the data is not there")


def start(task, *args) -> JobRun:
    return jobs.start_job(task, *args, label="Adding", return_url="/admin/", return_label="Home")


def test_an_eager_job_is_finished_before_the_view_redirects(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start(add, 1, 2)

    job.refresh_from_db()
    assert job.status == JobRun.Status.FINISHED
    assert job.started_at is not None and job.finished_at is not None
    assert job.task_id.startswith("job-") and job.task == add.name
    assert jobs.job_summary(job).startswith("Adding: finished at ")
    assert re.search(r"\(took \d+\.\d s\)\.$", jobs.job_summary(job))


def test_a_failing_job_records_its_error(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start(explode)

    job.refresh_from_db()
    assert job.status == JobRun.Status.FAILED
    assert job.error == "the data is not there"
    assert "Adding: failed at " in jobs.job_summary(job)


def test_a_queued_job_follows_the_worker_signals(django_capture_on_commit_callbacks):
    with mock.patch.object(add, "apply_async") as send:
        with django_capture_on_commit_callbacks(execute=True):
            job = start(add, 1, 2)
    assert send.call_args.kwargs == {"args": (1, 2), "task_id": job.task_id}
    assert job.status == JobRun.Status.QUEUED

    task_prerun.send(sender=add, task_id=job.task_id, task=add)
    job.refresh_from_db()
    assert job.status == JobRun.Status.RUNNING and "running since" in jobs.job_summary(job)

    task_postrun.send(sender=add, task_id=job.task_id, task=add, state="SUCCESS", retval=3)
    job.refresh_from_db()
    assert job.status == JobRun.Status.FINISHED


def test_other_tasks_cost_the_signals_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        jobs.job_started(task_id="3f1c-not-a-job")
        jobs.job_ended(task_id="3f1c-not-a-job", state="SUCCESS")


def test_the_button_goes_back_with_the_outcome_or_to_the_progress_page(admin_user):
    request = RequestFactory().post("/")
    request.user = admin_user
    request._messages = mock.MagicMock()  # noqa: SLF001 - messages without middleware
    now = jobs.clock.now()
    done = JobRun.objects.create(
        task_id="job-1",
        task="t",
        label="Training the recommender",
        return_url="/admin/recommenders/",
        status=JobRun.Status.FINISHED,
        queued_at=now,
        started_at=now,
        finished_at=now + timedelta(seconds=3.2),
    )
    waiting = JobRun.objects.create(task_id="job-2", task="t", label="Waiting", queued_at=now)

    assert job_response(request, done)["Location"] == "/admin/recommenders/"
    message = request._messages.add.call_args.args[1]  # noqa: SLF001
    assert message.startswith("Training the recommender: finished at ")
    assert message.endswith(" (took 3.2 s).")
    assert job_response(request, waiting)["Location"] == f"/admin/jobs/{waiting.pk}/"


def test_the_job_page_shows_progress_and_polls_until_done(admin_client):
    now = jobs.clock.now()
    job = JobRun.objects.create(
        task_id="job-1",
        task="t",
        label="Finding clusters",
        return_url="/admin/clustering-runs/",
        return_label="Clustering runs",
        status=JobRun.Status.RUNNING,
        queued_at=now,
        started_at=now,
    )

    page = admin_client.get(f"/admin/jobs/{job.pk}/").content.decode()
    assert "Finding clusters" in page and "Running" in page and 'data-done="false"' in page
    assert "job-status.js" in page and "<progress" in page

    job.status, job.finished_at = JobRun.Status.FINISHED, now + timedelta(minutes=2, seconds=5)
    job.save()
    panel = admin_client.get(f"/admin/jobs/{job.pk}/", {"panel": 1}).content.decode()
    assert panel.lstrip().startswith("<section") and 'data-done="true"' in panel
    assert "(took 2 min 5 s)" in panel and "Back to Clustering runs" in panel


@pytest.mark.parametrize(
    ("seconds", "words"), [(3.24, "3.2 s"), (65, "1 min 5 s"), (3720, "1 h 2 min")]
)
def test_durations_in_words(seconds, words):
    assert jobs.duration_in_words(timedelta(seconds=seconds)) == words


def test_the_dashboard_lists_the_latest_jobs(admin_client):
    now = jobs.clock.now()
    job = JobRun.objects.create(
        task_id="job-1",
        task="t",
        label="Finding clusters",
        status=JobRun.Status.FAILED,
        queued_at=now,
        finished_at=now,
        error="Too few visitors to cluster.",
    )

    page = admin_client.get("/admin/").content.decode()

    assert "Started from the admin" in page
    assert f'<a href="/admin/jobs/{job.pk}/">Finding clusters: failed at ' in page
    assert "Too few visitors to cluster." in page
