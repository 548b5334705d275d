"""Staff API of segments (../shared/API.md): list, create, members, recompute."""

from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import ErrorEnvelopeSerializer
from core.api.permissions import HasModelPermissions
from core.errors import Invalid
from core.permissions import VISITOR_DATA_PERMISSION, can_view_contact_data, visible_count
from segments import audiences, selectors, services
from segments.api.serializers import (
    MemberSerializer,
    RecomputeQueuedSerializer,
    RulePreviewResultSerializer,
    RulePreviewSerializer,
    SegmentDetailSerializer,
    SegmentInputSerializer,
    SegmentListSerializer,
    SegmentOverlapSerializer,
)
from segments.field_registry import current_registry
from segments.models import Segment
from segments.suppression import visible_overlap, visible_trend
from segments.tasks import recompute_segment_task

MEMBERS_PAGE_SIZE = 100


class SegmentApiView(APIView):
    """Staff endpoints about segments: the segment model permission of the method."""

    permission_classes = [HasModelPermissions]
    permission_model = Segment


def _save(data: dict, user: Any, segment: Segment | None = None) -> Segment:
    return services.segment_save(
        key=data["key"],
        name=data["name"],
        kind=data["kind"],
        rule=data.get("rule"),
        parent_key=data.get("parent"),
        description=data.get("description", ""),
        recompute_every_minutes=data["recompute_every_minutes"],
        placeholder_values=data.get("placeholder_values") or {},
        is_active=data["is_active"],
        segment=segment,
        user=user,
        new=segment is None,
    )


class SegmentListApi(SegmentApiView):
    @extend_schema(responses=SegmentListSerializer(many=True), summary="List segments")
    def get(self, request: Request) -> Response:
        segments = Segment.objects.select_related("parent").order_by("key")
        return Response(
            SegmentListSerializer(segments, many=True, context={"request": request}).data
        )

    @extend_schema(
        request=SegmentInputSerializer,
        responses={201: SegmentDetailSerializer},
        summary="Create a segment (an invalid rule is a 400 naming the failing node)",
    )
    def post(self, request: Request) -> Response:
        serializer = SegmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        segment = _save(serializer.validated_data, request.user)
        return Response(
            SegmentDetailSerializer(segment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class SegmentDetailApi(SegmentApiView):
    @extend_schema(responses=SegmentDetailSerializer, summary="A segment with its rule")
    def get(self, request: Request, key: str) -> Response:
        segment = get_object_or_404(Segment, key=key)
        data = SegmentDetailSerializer(segment, context={"request": request}).data
        data["trend"] = visible_trend(selectors.segment_trend(segment), request.user)
        return Response(data)

    @extend_schema(request=SegmentInputSerializer, responses=SegmentDetailSerializer)
    def put(self, request: Request, key: str) -> Response:
        segment = get_object_or_404(Segment, key=key)
        serializer = SegmentInputSerializer(data={**request.data, "key": key})
        serializer.is_valid(raise_exception=True)
        saved = _save(serializer.validated_data, request.user, segment)
        return Response(SegmentDetailSerializer(saved, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, key: str) -> Response:
        segment = get_object_or_404(Segment, key=key)
        services.segment_delete(segment=segment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentMembersApi(SegmentApiView):
    # Members are individual visitors: analysts, who see aggregates only, are refused.
    extra_permissions = (VISITOR_DATA_PERMISSION,)
    permission_actions = {"POST": "change"}
    # A bad id is reported by its path (`add.customer_ids[2]`); the others are kept.
    validates_each_item = True

    @extend_schema(
        parameters=[OpenApiParameter("page", int, description="1-based page of 100 members")],
        responses=MemberSerializer(many=True),
        summary="Current members of a segment",
    )
    def get(self, request: Request, key: str) -> Response:
        segment = get_object_or_404(Segment, key=key)
        try:
            page_number = int(request.query_params.get("page", "1"))
            if page_number < 1:
                raise ValueError
        except ValueError as exc:
            raise Invalid("page must be a positive integer.", {"page": "invalid"}) from exc
        paginator = Paginator(selectors.segment_members(segment), MEMBERS_PAGE_SIZE)
        try:
            page = paginator.page(page_number)
        except EmptyPage:
            page = None
        return Response(
            {
                "segment": segment.key,
                "count": paginator.count,
                "page": page_number,
                "pages": paginator.num_pages,
                "results": MemberSerializer(page.object_list if page else [], many=True).data,
            }
        )

    @extend_schema(
        request=dict,
        responses={200: dict, 400: ErrorEnvelopeSerializer},
        summary="Add or remove members of a static segment by visitor or customer id",
        description='`{"add": {"visitor_ids": [...], "customer_ids": [...]}, "remove": '
        "{...}}`; at most 10,000 ids per call. Invalid ids are listed in `rejected` by "
        "path and the rest applied; the counts are of visitors that entered or left.",
    )
    def post(self, request: Request, key: str) -> Response:
        segment = get_object_or_404(Segment, key=key)
        body = request.data
        if not isinstance(body, dict) or not ({"add", "remove"} & set(body)):
            raise Invalid(
                "Body must be an object with 'add' and/or 'remove'.", {"add": "is required"}
            )
        if audiences.count_ids(body) > audiences.MAX_IDS_PER_CALL:
            raise Invalid(
                "Too many ids in one call.",
                {"add": f"at most {audiences.MAX_IDS_PER_CALL:,} ids per call"},
            )
        report = audiences.update_static_members(segment=segment, body=body, user=request.user)
        return Response(report.as_response())


class SegmentMembersCsvApi(SegmentApiView):
    # Members are individual visitors (see SegmentMembersApi); e-mail addresses only for
    # roles that may see contact data.
    extra_permissions = (VISITOR_DATA_PERMISSION,)

    @extend_schema(
        responses={(200, "text/csv"): str},
        summary="Every current member as CSV (visitor_id, customer_key, since[, email])",
    )
    def get(self, request: Request, key: str) -> StreamingHttpResponse:
        segment = get_object_or_404(Segment, key=key)
        rows = audiences.member_rows(segment, with_email=can_view_contact_data(request.user))
        response = StreamingHttpResponse(audiences.csv_lines(rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{segment.key}-members.csv"'
        response["Cache-Control"] = "private, no-store"
        return response


class SegmentRecomputeApi(SegmentApiView):
    permission_actions = {"POST": "change"}

    @extend_schema(
        request=None, responses={202: RecomputeQueuedSerializer}, summary="Queue a full recompute"
    )
    def post(self, request: Request, key: str) -> Response:
        segment = get_object_or_404(Segment, key=key)
        if segment.real_time_only:
            raise Invalid(
                "This segment reads the request context and is evaluated per request only.",
                {"segment": "real-time only"},
            )
        result = recompute_segment_task.delay(segment.pk)
        queued = {"segment": segment.key, "status": "queued", "task_id": result.id}
        return Response(RecomputeQueuedSerializer(queued).data, status=status.HTTP_202_ACCEPTED)


class RulePreviewApi(SegmentApiView):
    # A preview counts matches and writes nothing.
    permission_actions = {"POST": "view"}

    @extend_schema(
        request=RulePreviewSerializer,
        responses=RulePreviewResultSerializer,
        summary="Count a rule's matches",
    )
    def post(self, request: Request) -> Response:
        serializer = RulePreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.preview_count(
            rule=serializer.validated_data["rule"],
            parent_key=serializer.validated_data.get("parent"),
        )
        real_time_only = count is None
        count, suppressed = visible_count(count, request.user)
        preview = {"count": count, "suppressed": suppressed, "real_time_only": real_time_only}
        return Response(RulePreviewResultSerializer(preview).data)


class SegmentOverlapApi(SegmentApiView):
    @extend_schema(
        parameters=[OpenApiParameter("a", str), OpenApiParameter("b", str)],
        responses=SegmentOverlapSerializer,
        summary="Overlap of two segments",
    )
    def get(self, request: Request) -> Response:
        first = get_object_or_404(Segment, key=request.query_params.get("a", ""))
        second = get_object_or_404(Segment, key=request.query_params.get("b", ""))
        overlap = visible_overlap(services.overlap(first=first, second=second), request.user)
        return Response(SegmentOverlapSerializer(overlap).data)


class RuleFieldsApi(SegmentApiView):
    """What rules may read: the rule builder's vocabulary, for headless admin tools."""

    @extend_schema(
        responses=dict,
        summary="The fields, event types and order-line properties rules may use",
    )
    def get(self, request: Request) -> Response:
        return Response(current_registry().as_json())
