"""Dashboard panel: the periodic work and when each piece last ran."""

from typing import Any

from django.conf import settings
from wagtail.admin.ui.components import Component

from core.scheduler import in_process_scheduler_enabled, running_scheduler, scheduled_work


class ScheduledWorkPanel(Component):
    name = "pz_scheduled_work"
    order = 400
    template_name = "core/admin/panels/scheduled_work.html"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        in_process = in_process_scheduler_enabled()
        return {
            "rows": scheduled_work(),
            "in_process": in_process,
            "runs_here": running_scheduler() is not None,
            "tick_seconds": int(settings.PZ_SCHEDULER_TICK_SECONDS),
        }
