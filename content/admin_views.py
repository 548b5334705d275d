"""Extra admin views of personalized content: the component save warning and a placement's
performance (with "Refresh now"; "preview as" is personalization's). Each parses input,
calls a service, selector or task, and formats the answer; permissions come from the
models' policies."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.snippets.views.snippets import CreateView, EditView

from content import selectors
from content.models import Placement
from content.tasks import refresh_variant_stats_task
from core.admin_views import job_response
from core.jobs import start_job

PLACEMENTS_URL = "wagtailsnippets_content_placement"
PERFORMANCE_URL_NAME = f"{PLACEMENTS_URL}:performance"


class UnknownPlaceholdersWarningMixin:
    """After a successful save, warn (without blocking) about placeholders that will
    render as their default; `ComponentForm.clean` found them."""

    def save_action(self) -> HttpResponse:
        response = super().save_action()  # type: ignore[misc]
        unknown = getattr(self.form, "unknown_tokens", None)  # type: ignore[attr-defined]
        if unknown and not self.expects_json_response:  # type: ignore[attr-defined]
            messages.warning(
                self.request,  # type: ignore[attr-defined]
                "Unknown placeholders (shown as their default, or nothing): " + ", ".join(unknown),
            )
        return response


class ComponentCreateView(UnknownPlaceholdersWarningMixin, CreateView):
    pass


class ComponentEditView(UnknownPlaceholdersWarningMixin, EditView):
    pass


class PlacementPerformanceView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Per-variant impressions, viewers, clicks, CTR, conversions and revenue."""

    model = Placement
    any_permission_required = ["add", "change", "publish", "view"]
    template_name = "content/admin/placement_performance.html"
    page_title = "Performance"
    header_icon = "view"
    index_url_name = f"{PLACEMENTS_URL}:list"
    edit_url_name = f"{PLACEMENTS_URL}:edit"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Placement, pk=kwargs["pk"])

    def get_page_title(self) -> str:
        return f"Performance of {self.object}"

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": "Placements"},
            {"url": reverse(self.edit_url_name, args=[self.object.pk]), "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        context["rows"] = selectors.placement_performance(self.object)
        context["computed_at"] = selectors.stats_computed_at(self.object)
        context["can_refresh"] = self.user_has_permission("change")
        context["refresh_url"] = reverse(f"{PLACEMENTS_URL}:refresh_stats", args=[self.object.pk])
        context["edit_url"] = reverse(self.edit_url_name, args=[self.object.pk])
        return context


class PlacementStatsRefreshView(PermissionCheckedMixin, View):
    """POST: refresh every variant's figures as a job, then back to the placement's
    performance page (or to the job's page while it runs)."""

    model = Placement
    permission_required = "change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        placement = get_object_or_404(Placement, pk=pk)
        job = start_job(
            refresh_variant_stats_task,
            label="Refreshing the placements' figures",
            return_url=reverse(PERFORMANCE_URL_NAME, args=[placement.pk]),
            return_label=f"{placement} performance",
            user=request.user,
        )
        return job_response(request, job)
