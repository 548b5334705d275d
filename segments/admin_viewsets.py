"""Wagtail admin screens of segments and clustering runs, configured by attributes.

Writes go through `segments.services` (the form's `save` calls `segment_save`, delete
calls `segment_delete`), so the admin, the API and the demo loader behave alike.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.permissions import policy_registry, register_permission_policy

from core.admin_menu import SEGMENTS_ORDER, InPersonalizationMenu
from core.admin_permissions import ViewOnlyPermissionPolicy
from core.errors import DomainError
from core.key_panels import KeyPanel, NameToKeyPanel
from core.permissions import can_view_visitor_data, visible_count
from segments import selectors, services
from segments.admin_views import (
    RulePreviewView,
    RunClusteringView,
    SegmentMembersUploadView,
    SegmentMembersView,
    SegmentOverlapView,
    SegmentRecomputeView,
    members_with_profiles,
    visitor_url,
    with_recent_sizes,
)
from segments.conditions import InvalidRule, describe_rule
from segments.field_registry import current_registry
from segments.forms import OverlapForm, SegmentForm
from segments.models import ClusteringRun, Segment
from segments.suppression import visible_trend

SPARKLINE_WIDTH = 64
SPARKLINE_HEIGHT = 18
MEMBERS_ON_INSPECT = 10
TREND_ROWS = 15


class SizeColumn(Column):
    """Current size with "real time", "too small" and "inactive" badges."""

    cell_template_name = "segments/admin/cells/size.html"

    class Media:
        css = {"all": ["segments/admin.css"]}

    def get_cell_context_data(self, instance: Segment, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        user = getattr(parent_context.get("request"), "user", None)
        context["too_small"] = selectors.too_small(instance)
        context["minimum"] = settings.PZ_MIN_SEGMENT_SIZE
        context["size"], context["suppressed"] = visible_count(instance.size, user)
        context["members_link"] = can_view_visitor_data(user)
        return context


class TrendColumn(Column):
    """The last sizes as an inline SVG sparkline with the change since the one before."""

    cell_template_name = "segments/admin/cells/trend.html"

    def get_cell_context_data(self, instance: Segment, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        snapshots = getattr(instance, "recent_snapshots", None)
        if snapshots is None:  # not prefetched: one query for this row
            snapshots = list(instance.snapshots.order_by("-computed_at")[:12])
        sizes = [snapshot.size for snapshot in reversed(snapshots)]
        user = getattr(parent_context.get("request"), "user", None)
        if any(visible_count(size, user)[1] for size in sizes):
            sizes = []  # a small segment's history would tell its size
        context["sizes"] = sizes
        context["points"] = sparkline_points(sizes, SPARKLINE_WIDTH, SPARKLINE_HEIGHT)
        context["width"], context["height"] = SPARKLINE_WIDTH, SPARKLINE_HEIGHT
        context["delta"] = sizes[-1] - sizes[-2] if len(sizes) > 1 else None
        return context


def sparkline_points(sizes: list[int], width: int, height: int) -> str:
    """SVG polyline points for sizes, scaled to the box (a flat line when constant)."""
    if len(sizes) < 2:
        return ""
    low, high = min(sizes), max(sizes)
    step = (width - 2) / (len(sizes) - 1)

    def y(size: int) -> float:
        if high == low:
            return height / 2
        return height - 1 - (size - low) / (high - low) * (height - 2)

    return " ".join(f"{1 + i * step:.1f},{y(size):.1f}" for i, size in enumerate(sizes))


class SegmentIndexView(generic.IndexView):
    def get_base_queryset(self) -> QuerySet[Segment]:
        return with_recent_sizes(super().get_base_queryset())

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        return [
            *super().header_more_buttons,
            Button("Overlap report", url=reverse("segments:overlap"), icon_name="group"),
            Button("Clustering runs", url=reverse("clustering_runs:index"), icon_name="cogs"),
        ]


class SegmentErrorMixin:
    """Report a `SegmentError` from `segment_save` on the form instead of a 500 (the save
    ran in a transaction that the error rolled back)."""

    def form_valid(self, form: SegmentForm) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except services.SegmentError as exc:
            form.add_service_error(exc)
            self.produced_error_message = self.get_error_message()  # type: ignore[attr-defined]
            return self.form_invalid(form)  # type: ignore[attr-defined]

    def get_success_url(self) -> str:
        return reverse("segments:inspect", args=[self.object.pk])  # type: ignore[attr-defined]


class SegmentCreateView(SegmentErrorMixin, generic.CreateView):
    def save_instance(self) -> Segment:
        # `segment_save` (the form's save) logs the change with its before and after.
        return self.form.save()


class SegmentEditView(SegmentErrorMixin, generic.EditView):
    def save_instance(self) -> Segment:
        # `segment_save` (the form's save) logs the change with its before and after.
        return self.form.save()


class SegmentDeleteView(generic.DeleteView):
    """Delete through `segment_delete`, which refuses while other segments depend on it."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            services.segment_delete(segment=self.object, user=self.request.user)
        except DomainError as exc:
            reasons = "; ".join(str(reason) for reason in exc.fields.values())
            messages.error(self.request, f"'{self.object}' was not deleted: {reasons}.")
            return redirect("segments:inspect", self.object.pk)
        messages.success(self.request, self.get_success_message())
        return redirect(self.get_success_url())


INSPECT_SECTIONS_HOOK = "pz_segment_inspect_sections"


class SegmentInspectView(generic.InspectView):
    """The detail page: rule in words, size and trend, a few members, recompute, overlap."""

    @cached_property
    def header_buttons(self) -> list[HeaderButton]:
        buttons = []
        if can_view_visitor_data(self.request.user):
            buttons.append(
                HeaderButton(
                    "Members",
                    url=reverse("segments:members", args=[self.object.pk]),
                    icon_name="group",
                )
            )
        if self.object.kind == Segment.Kind.STATIC and self.user_has_permission("change"):
            if can_view_visitor_data(self.request.user):
                buttons.append(
                    HeaderButton(
                        "Upload members",
                        url=reverse("segments:members_upload", args=[self.object.pk]),
                        icon_name="upload",
                    )
                )
        if can_view_visitor_data(self.request.user):
            buttons.append(
                HeaderButton(
                    "Export CSV",
                    url=reverse("api-segment-members-csv", args=[self.object.key]),
                    icon_name="download",
                )
            )
        if self.recompute_allowed:
            buttons.append(
                HeaderButton(
                    "Recompute now",
                    icon_name="rotate",
                    attrs={
                        "data-controller": "w-action",
                        "data-action": "w-action#post",
                        "data-w-action-url-value": reverse(
                            "segments:recompute", args=[self.object.pk]
                        ),
                    },
                )
            )
        return buttons

    @cached_property
    def recompute_allowed(self) -> bool:
        segment = self.object
        return (
            self.user_has_permission("change")
            and segment.kind == Segment.Kind.RULE
            and not segment.real_time_only
            and segment.is_active
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        segment = self.object
        try:
            context["rule_text"] = (
                describe_rule(segment.rule, registry=current_registry()) if segment.rule else ""
            )
        except InvalidRule as exc:
            context["rule_text"] = f"(invalid rule: {exc})"
        user = self.request.user
        trend = visible_trend(selectors.segment_trend(segment, limit=TREND_ROWS), user)
        context["trend"] = [{**row, "at": parse_datetime(row["at"])} for row in reversed(trend)]
        context["can_view_visitors"] = can_view_visitor_data(user)
        context["members"] = (
            [
                (member, visitor_url(member.profile_pk))
                for member in members_with_profiles(segment)[:MEMBERS_ON_INSPECT]
            ]
            if context["can_view_visitors"]
            else []
        )
        context["members_count"], _ = visible_count(
            selectors.segment_members(segment).count(), user
        )
        context["size"], context["size_suppressed"] = visible_count(segment.size, user)
        context["too_small"] = selectors.too_small(segment)
        context["minimum"] = settings.PZ_MIN_SEGMENT_SIZE
        context["recompute_allowed"] = self.recompute_allowed
        overlap_form = OverlapForm(initial={"a": segment.key})
        overlap_form.fields["b"].queryset = Segment.objects.exclude(pk=segment.pk).order_by("name")
        context["overlap_form"] = overlap_form
        context["children"] = segment.children.order_by("name")
        # Higher apps add sections (insights: the segment's KPIs) through this hook.
        context["extra_sections"] = [
            section(self.request, segment) for section in hooks.get_hooks(INSPECT_SECTIONS_HOOK)
        ]
        return context


class SegmentViewSet(ModelViewSet):
    model = Segment
    icon = "group"
    menu_label = "Segments"
    index_view_class = SegmentIndexView
    add_view_class = SegmentCreateView
    edit_view_class = SegmentEditView
    delete_view_class = SegmentDeleteView
    inspect_view_class = SegmentInspectView
    inspect_view_enabled = True
    inspect_template_name = "segments/admin/segment_inspect.html"
    copy_view_enabled = False
    list_per_page = 50
    list_display = [
        "name",
        "key",
        "kind",
        SizeColumn("size", label="Size", sort_key="size"),
        TrendColumn("trend", label="Trend"),
        DateColumn("last_computed_at", label="Last computed", sort_key="last_computed_at"),
        Column("parent", label="Parent"),
    ]
    list_filter = ["kind", "is_active", "real_time_only"]
    search_fields = ["name", "key", "description"]
    inspect_view_fields = [
        "key",
        "kind",
        "description",
        "parent",
        "is_active",
        "recompute_every_minutes",
        "placeholder_values",
        "last_computed_at",
        "last_compute_ms",
        "updated_at",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([NameToKeyPanel(), KeyPanel()]),
            FieldRowPanel([FieldPanel("kind"), FieldPanel("parent")]),
            FieldPanel("description"),
            FieldPanel("rule"),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("is_active"), FieldPanel("recompute_every_minutes")]),
                    FieldPanel("placeholder_values"),
                ],
                heading="Schedule and content values",
            ),
        ],
        base_form_class=SegmentForm,
    )

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("preview/", self.construct_view(RulePreviewView), name="preview"),
            path("overlap/", self.construct_view(SegmentOverlapView), name="overlap"),
            path(
                "recompute/<int:pk>/",
                self.construct_view(SegmentRecomputeView),
                name="recompute",
            ),
            path("members/<int:pk>/", self.construct_view(SegmentMembersView), name="members"),
            path(
                "members/<int:pk>/upload/",
                self.construct_view(SegmentMembersUploadView),
                name="members_upload",
            ),
        ]


class ClusteringRunIndexView(generic.IndexView):
    @cached_property
    def header_buttons(self) -> list[HeaderButton]:
        buttons = list(super().header_buttons)
        segments = policy_registry.get_by_type(Segment)
        if segments.user_has_permission(self.request.user, RunClusteringView.permission_required):
            buttons.append(
                HeaderButton(
                    "Run clustering now",
                    icon_name="cogs",
                    attrs={
                        "data-controller": "w-action",
                        "data-action": "w-action#post",
                        "data-w-action-url-value": reverse("clustering_runs:run"),
                    },
                )
            )
        return buttons


class ClusteringRunInspectView(generic.InspectView):
    """A run with its quality per k and its clusters, linked to their segments."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = self.object
        segments = {segment.cluster_label: segment for segment in run.segments.all()}
        context["clusters"] = [
            {**cluster, "segment": segments.get(cluster.get("label"))}
            for cluster in run.clusters or []
        ]
        # Keys are k as strings ("2", "10"): order them as numbers.
        context["scores"] = sorted(
            (run.scores_by_k or {}).items(), key=lambda item: (len(item[0]), item[0])
        )
        return context


class ClusteringRunViewSet(ModelViewSet):
    """Read-only: runs are written by `segments.clustering_service.run_clustering`."""

    model = ClusteringRun
    icon = "cogs"
    menu_label = "Clustering runs"
    index_view_class = ClusteringRunIndexView
    inspect_view_class = ClusteringRunInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        "__str__",
        "algorithm",
        "k",
        "silhouette",
        "visitors",
        "duration_ms",
        BooleanColumn("is_current", label="Current"),
        DateColumn("created_at", label="Created", sort_key="created_at"),
    ]
    list_filter = ["algorithm", "is_current"]
    inspect_template_name = "segments/admin/clusteringrun_inspect.html"
    inspect_view_fields = [
        "algorithm",
        "k",
        "silhouette",
        "visitors",
        "duration_ms",
        "is_current",
        "parameters",
        "features",
        "created_at",
    ]
    form_fields = ["algorithm"]

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("run/", self.construct_view(RunClusteringView), name="run"),
        ]


register_permission_policy(ClusteringRun, ViewOnlyPermissionPolicy(ClusteringRun))


class SegmentsViewSetGroup(InPersonalizationMenu, ModelViewSetGroup):
    menu_label = "Segments"
    menu_order = SEGMENTS_ORDER
    items = (
        SegmentViewSet("segments"),
        ClusteringRunViewSet("clustering_runs", url_prefix="clustering-runs"),
    )
