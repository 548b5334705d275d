"""A job's page in Chromium follows the job: while a worker runs it the status panel
reloads by itself, and it shows the finish time once the job ends."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from wagtail.models import Locale, Page

from core import clock
from core.models import JobRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_job_page_follows_a_running_job(browser, live_server, django_user_model):
    django_user_model.objects.create_superuser(username="mia", password="pw-mia-123")
    Locale.objects.get_or_create(language_code="en")  # flushed by transactional tests
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    now = clock.now()
    job = JobRun.objects.create(
        task_id="job-browser",
        task="recommendations.tasks.train_recommender_task",
        label="Training the recommender",
        return_url="/admin/recommenders/",
        return_label="Recommenders",
        status=JobRun.Status.RUNNING,
        queued_at=now,
        started_at=now,
    )
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/jobs/{job.pk}/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill("pw-mia-123")
    page.get_by_role("button", name="Sign in").click()
    status = page.get_by_role("region", name="Training the recommender")
    expect(status).to_contain_text("Running")
    expect(status.get_by_role("progressbar")).to_be_visible()

    job.status, job.finished_at = JobRun.Status.FINISHED, now + timedelta(seconds=3.2)
    job.save()

    expect(status).to_contain_text("Finished", timeout=8000)
    expect(status).to_contain_text("(took 3.2 s)")
    expect(status.get_by_role("link", name="Back to Recommenders")).to_be_visible()
    assert errors == []
    page.close()
