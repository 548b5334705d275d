"""Extra admin views of segments, mounted by the viewsets in `admin_viewsets.py`: rule
preview, recompute, members, overlap and "run clustering now". Each parses input, calls
a service, selector or task, and formats the answer; permissions come from Wagtail's
permission policy of the model."""

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.views.generic import TemplateView, View
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import (
    BaseListingView,
    BaseOperationView,
    WagtailAdminTemplateMixin,
)
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permissions import policy_registry

from core.admin_views import job_response
from core.jobs import start_job
from core.models import JobRun
from core.permissions import can_view_visitor_data, visible_count
from segments import audiences, selectors, services
from segments.clustering_tasks import run_clustering_task
from segments.forms import OverlapForm
from segments.models import Segment, SegmentMembership, SegmentSizeSnapshot
from segments.suppression import visible_overlap
from segments.tasks import recompute_segment_task
from tracking.models import VisitorProfile

TREND_POINTS = 12
VISITOR_INSPECT_URL = "visitors:inspect"


def with_recent_sizes(queryset: QuerySet[Segment]) -> QuerySet[Segment]:
    """Segments with their parent and last sizes (`recent_snapshots`, newest first), in
    two queries for a whole listing page."""
    recent = SegmentSizeSnapshot.objects.order_by("-computed_at")
    return queryset.select_related("parent").prefetch_related(
        Prefetch("snapshots", queryset=recent[:TREND_POINTS], to_attr="recent_snapshots")
    )


def members_with_profiles(segment: Segment) -> QuerySet[SegmentMembership]:
    """Current members, each with `profile_pk` (the visitor's profile row, if any)."""
    profile = VisitorProfile.objects.filter(visitor_id=OuterRef("visitor_id")).values("pk")
    return selectors.segment_members(segment).annotate(profile_pk=Subquery(profile[:1]))


def visitor_url(profile_pk: int | None) -> str | None:
    """The Audience → Visitors inspect page of a profile, when that screen exists."""
    if profile_pk is None:
        return None
    try:
        return reverse(VISITOR_INSPECT_URL, args=[profile_pk])
    except NoReverseMatch:
        return None


class RulePreviewView(PermissionCheckedMixin, View):
    """POST {"rule": ..., "parent": key} → {"count", "real_time_only"}, or a 400 with the
    validation error and the failing node paths. CSRF-protected like any admin POST."""

    model = Segment
    any_permission_required = ["add", "change"]
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> JsonResponse:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"error": "The body is not JSON.", "fields": {}}, status=400)
        if not isinstance(payload, dict):
            return JsonResponse({"error": "Send a JSON object.", "fields": {}}, status=400)
        try:
            count = services.preview_count(
                rule=payload.get("rule"), parent_key=payload.get("parent") or None
            )
        except services.SegmentError as exc:
            return JsonResponse({"error": str(exc), "fields": exc.fields}, status=400)
        real_time_only = count is None
        count, suppressed = visible_count(count, request.user)
        return JsonResponse(
            {"count": count, "suppressed": suppressed, "real_time_only": real_time_only}
        )


class SegmentRecomputeView(PermissionCheckedMixin, BaseOperationView):
    """POST: recompute one materialized segment in full, shown as a job."""

    model = Segment
    permission_required = "change"
    success_url_name = "segments:inspect"
    job: JobRun | None = None

    def perform_operation(self) -> None:
        if self.object.kind != Segment.Kind.RULE or self.object.real_time_only:
            self.success_message = None
            messages.warning(
                self.request,
                f"'{self.object}' is not recomputed: only materialized rule segments are.",
            )
            return
        self.job = start_job(
            recompute_segment_task,
            self.object.pk,
            label=f"Recomputing “{self.object}”",
            return_url=self.get_success_url(),
            return_label=str(self.object),
            user=self.request.user,
        )
        self.success_message = None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        return job_response(request, self.job) if self.job else response


class MemberVisitorColumn(TitleColumn):
    """The visitor id, linked to the visitor's inspect page when that screen exists."""

    def __init__(self, *args: Any, link: bool, **kwargs: Any) -> None:
        super().__init__(
            *args,
            get_url=lambda member: visitor_url(member.profile_pk) if link else None,
            **kwargs,
        )


class SegmentMembersView(PermissionCheckedMixin, BaseListingView):
    """The current members of one segment, paginated: individual visitors, so only for
    roles that may view visitor data (as `GET /segments/{key}/members`)."""

    model = Segment
    any_permission_required = ["add", "change", "delete", "view"]
    paginate_by = 50
    page_title = "Members"
    header_icon = "group"
    template_name = "segments/admin/segment_members.html"
    index_url_name = "segments:index"
    inspect_url_name = "segments:inspect"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.segment = get_object_or_404(Segment, pk=kwargs["pk"])

    def user_has_permission(self, permission: str) -> bool:
        return can_view_visitor_data(self.request.user) and super().user_has_permission(permission)

    def user_has_any_permission(self, permissions: Any) -> bool:
        return can_view_visitor_data(self.request.user) and super().user_has_any_permission(
            permissions
        )

    def get_base_queryset(self) -> QuerySet[SegmentMembership]:
        return members_with_profiles(self.segment)

    def get_index_url(self) -> str:
        return reverse("segments:members", args=[self.segment.pk])

    def get_page_subtitle(self) -> str:
        return str(self.segment)

    @cached_property
    def columns(self) -> list[Column]:
        visitors = policy_registry.get_by_type(VisitorProfile)
        link = visitors.user_has_permission(self.request.user, "view")
        return [
            MemberVisitorColumn("visitor_id", label="Visitor", link=link),
            DateColumn("entered_at", label="Member since"),
        ]

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": "Segments"},
            {
                "url": reverse(self.inspect_url_name, args=[self.segment.pk]),
                "label": str(self.segment),
            },
            {"url": "", "label": "Members"},
        ]

    def get_context_data(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(*args, **kwargs)
        context["segment"] = self.segment
        return context


class SegmentOverlapView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET ?a=key&b=key: how two segments overlap (sizes, both, only one, Jaccard)."""

    model = Segment
    any_permission_required = ["add", "change", "delete", "view"]
    template_name = "segments/admin/segment_overlap.html"
    page_title = "Segment overlap"
    header_icon = "group"

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse("segments:index"), "label": "Segments"},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = OverlapForm(self.request.GET or None)
        context["form"] = form
        if form.is_valid():
            first, second = form.cleaned_data["a"], form.cleaned_data["b"]
            context["first"], context["second"] = first, second
            overlap = services.overlap(first=first, second=second)
            context["overlap"] = visible_overlap(overlap, self.request.user)
            jaccard = context["overlap"]["jaccard"]
            context["jaccard_percent"] = None if jaccard is None else round(jaccard * 100, 1)
            context["minimum"] = settings.PZ_MIN_SEGMENT_SIZE
            context["real_time"] = [s for s in (first, second) if s.real_time_only]
        return context


class RunClusteringView(PermissionCheckedMixin, View):
    """POST: start a clustering run, shown as a job. It replaces the cluster segments, so
    it takes the permission to add segments (runs themselves are read-only in the admin)."""

    permission_required = "add"
    http_method_names = ["post"]

    @cached_property
    def permission_policy(self) -> Any:
        return policy_registry.get_by_type(Segment)

    def post(self, request: HttpRequest) -> HttpResponse:
        job = start_job(
            run_clustering_task,
            label="Finding clusters",
            return_url=reverse("clustering_runs:index"),
            return_label="Clustering runs",
            user=request.user,
        )
        return job_response(request, job)


MAX_MEMBERS_UPLOAD_BYTES = 20 * 1024 * 1024


class MembersUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 with a header row naming a visitor_id or customer_id column.",
    )
    replace = forms.BooleanField(label="Replace the current members", required=False, initial=False)


class SegmentMembersUploadView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Upload a static segment's members as CSV (visitor ids or customer ids); a file with
    bad rows changes nothing and lists them."""

    model = Segment
    permission_required = "change"
    template_name = "segments/admin/segment_members_upload.html"
    page_title = "Upload members"
    header_icon = "upload"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.segment = get_object_or_404(Segment, pk=kwargs["pk"], kind=Segment.Kind.STATIC)
        return super().dispatch(request, *args, **kwargs)

    def user_has_permission(self, permission: str) -> bool:
        # Members are visitor data: the segment's change permission and visitor data.
        return super().user_has_permission(permission) and can_view_visitor_data(self.request.user)

    def get_page_subtitle(self) -> str:
        return str(self.segment)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = MembersUploadForm(request.POST, request.FILES)
        errors: list[tuple[int, str]] = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read(MAX_MEMBERS_UPLOAD_BYTES + 1).decode("utf-8-sig")
            except UnicodeDecodeError:
                errors = [(0, "the file is not UTF-8 text")]
            else:
                if len(text) > MAX_MEMBERS_UPLOAD_BYTES:
                    errors = [(0, "the file is larger than 20 MB")]
                else:
                    ids, errors = audiences.members_from_csv(text)
            if not errors:
                body: dict[str, Any] = {"add": ids}
                if form.cleaned_data["replace"]:
                    current = selectors.segment_members(self.segment).values_list(
                        "visitor_id", flat=True
                    )
                    body["remove"] = {"visitor_ids": list(current)}
                report = audiences.update_static_members(
                    segment=self.segment, body=body, user=request.user
                )
                messages.success(
                    request,
                    f"'{self.segment}': {report.added} added, {report.removed} removed, "
                    f"{report.size} members now.",
                )
                return redirect("segments:inspect", self.segment.pk)
        return self.render_to_response(self.get_context_data(form=form, row_errors=errors[:100]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", MembersUploadForm())
        context["segment"] = self.segment
        return context
