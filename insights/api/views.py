"""Staff report endpoints: what personalization earns."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import ErrorEnvelopeSerializer
from core.api.permissions import HasModelPermissions
from insights import kpis, services
from insights.api.serializers import SegmentKpisSerializer, UpliftSerializer
from insights.models import SegmentKpiDay
from segments.models import Segment


class DaysSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=services.MAX_DAYS, default=30)


class ReportApiView(APIView):
    permission_classes = [HasModelPermissions]
    permission_model = SegmentKpiDay  # the reports share its view permission

    def days(self, request: Request) -> int:
        query = DaysSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        return query.validated_data["days"]


class UpliftApi(ReportApiView):
    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="1 to 365 (default 30).")],
        responses={
            200: UpliftSerializer,
            400: ErrorEnvelopeSerializer,
            403: ErrorEnvelopeSerializer,
        },
        summary="What personalization earns: personalized visitors vs the global holdout",
        description="Conversion rate, revenue per visitor and average order value of "
        "visitors who allow personalization, personalized vs held out "
        "(`PZ_GLOBAL_HOLDOUT_SHARE`), with relative lifts and 95% intervals, a "
        "sample-ratio check and an always-valid verdict. Revenue is attributed by "
        "visitor: every purchase in the period counts for the visitor's group. `daily` "
        "is the cumulative lift up to each day.",
    )
    def get(self, request: Request) -> Response:
        return Response(services.uplift_report(days=self.days(request)))


class SegmentKpisApi(ReportApiView):
    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="1 to 365 (default 30).")],
        responses={
            200: SegmentKpisSerializer,
            400: ErrorEnvelopeSerializer,
            404: ErrorEnvelopeSerializer,
        },
        summary="A segment's KPIs over a period, from stored daily aggregates",
        description="Visitors who were members at any time in the window; conversion rate "
        "(member-days with a purchase ÷ member-days), average order value, revenue per "
        "visitor, placement CTR and a daily trend. Counts below PZ_MIN_SEGMENT_SIZE are "
        "null with `suppressed: true` for roles without visitor-data permission.",
    )
    def get(self, request: Request, key: str) -> Response:
        segment = get_object_or_404(Segment, key=key)
        return Response(kpis.segment_kpis(segment, days=self.days(request), user=request.user))
