"""Dashboard panel: the periodic work and when each piece last ran, and the latest jobs
people started from the admin."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.timesince import timesince
from wagtail.admin.ui.components import Component

from core import clock
from core.jobs import job_summary
from core.models import JobRun
from core.scheduler import in_process_scheduler_enabled, running_scheduler, scheduled_work


def _ago(then: datetime, now: datetime) -> str:
    if (now - then).total_seconds() < 60:
        return "just now"
    return f"{timesince(then, now)} ago"


RECENT_JOBS = 5


class ScheduledWorkPanel(Component):
    name = "pz_scheduled_work"
    order = 400
    template_name = "core/admin/panels/scheduled_work.html"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        in_process = in_process_scheduler_enabled()
        now = clock.now()
        rows = [
            (row, _ago(row.last_started_at, now) if row.last_started_at else "not yet")
            for row in scheduled_work()
        ]
        return {
            "rows": rows,
            "in_process": in_process,
            "runs_here": running_scheduler() is not None,
            "tick_seconds": int(settings.PZ_SCHEDULER_TICK_SECONDS),
            "jobs": [(job, job_summary(job)) for job in JobRun.objects.all()[:RECENT_JOBS]],
        }
