"""Extra admin views of personalized content: the component save warning, a placement's
performance (with "Refresh now") and "preview as". Each parses input, calls a service,
selector or task, and formats the answer; permissions come from the models' policies."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.snippets.views.snippets import CreateView, EditView

from catalog.models import Product
from content import selectors
from content.forms import PreviewAsForm
from content.models import Placement
from content.tasks import refresh_variant_stats_task

PLACEMENTS_URL = "wagtailsnippets_content_placement"
PERFORMANCE_URL_NAME = f"{PLACEMENTS_URL}:performance"
PAGE_SUGGESTIONS = 12


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
    """POST: queue a refresh of every variant's figures, then back to the placement's
    performance page."""

    model = Placement
    permission_required = "change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        placement = get_object_or_404(Placement, pk=pk)
        transaction.on_commit(refresh_variant_stats_task.delay)
        messages.success(request, "Refresh queued; the figures update as soon as the task has run.")
        return redirect(PERFORMANCE_URL_NAME, placement.pk)


class StaffRequiredMixin:
    """Only staff: the storefront honours `?pz_preview_segments` for staff alone."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class PreviewAsView(
    StaffRequiredMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView
):
    """GET: choose segments, context and a page; see what each placement would show and
    open the storefront as that visitor."""

    model = Placement
    any_permission_required = ["add", "change", "publish", "view"]
    template_name = "content/admin/preview_as.html"
    page_title = "Preview as"
    header_icon = "view"

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse(f"{PLACEMENTS_URL}:list"), "label": "Placements"},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = PreviewAsForm(self.request.GET or None)
        context["form"] = form
        context["page_suggestions"] = [
            f"/p/{product_id}/"
            for product_id in Product.objects.filter(in_stock=True)
            .order_by("product_id")
            .values_list("product_id", flat=True)[:PAGE_SUGGESTIONS]
        ]
        if form.is_valid():
            data = form.cleaned_data
            segments = [segment.key for segment in data["segments"]]
            context["segment_keys"] = segments
            context["storefront_url"] = selectors.preview_storefront_url(
                path=data["path"],
                segments=segments,
                utm_source=data["utm_source"],
                device=data["device"],
                country=data["country"],
            )
            context["decision"] = selectors.preview_decision(
                segments=segments,
                device=data["device"],
                country=data["country"],
                utm_source=data["utm_source"],
                path=data["path"],
            )
        return context
