"""The progress page of an admin job (`core.jobs`), and the response every "start a long
job" button gives: back where it came from when the job is already done (tasks run
eagerly), else to the progress page, which follows the job until it ends."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core import jobs
from core.models import JobRun

RECENT_JOBS = 10


def job_response(request: HttpRequest, job: JobRun, detail: str = "") -> HttpResponse:
    """Where a button that started `job` sends the person; `detail` follows the outcome
    of a finished job (e.g. the verdict the recomputed results give)."""
    if job.status == JobRun.Status.FINISHED:
        messages.success(request, f"{jobs.job_summary(job)} {detail}".strip())
    elif job.status == JobRun.Status.FAILED:
        messages.error(request, jobs.job_summary(job))
    else:
        return redirect("pz_job", pk=job.pk)
    return redirect(job.return_url or reverse("pz_job", args=[job.pk]))


class JobView(WagtailAdminTemplateMixin, TemplateView):
    """One job's state, with its times; while it runs, the page follows it (a small
    script reloads the status panel every two seconds until the job ends)."""

    template_name = "core/admin/job.html"
    page_title = "Background job"
    header_icon = "time"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.job = get_object_or_404(JobRun, pk=kwargs["pk"])

    def get_template_names(self) -> list[str]:
        if self.request.GET.get("panel"):
            return ["core/admin/includes/job_status.html"]
        return [self.template_name]

    def get_page_subtitle(self) -> str:
        return self.job.label

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        back = [{"url": self.job.return_url, "label": self.job.return_label}]
        return (
            self.breadcrumbs_items
            + (back if self.job.return_url else [])
            + [{"url": "", "label": self.page_title}]
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["job"] = self.job
        context["took"] = jobs.took(self.job)
        context["took_words"] = jobs.duration_in_words(context["took"]) if context["took"] else ""
        context["recent"] = JobRun.objects.filter(task=self.job.task).exclude(pk=self.job.pk)[
            :RECENT_JOBS
        ]
        return context
