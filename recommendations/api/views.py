"""GET /api/v1/recommendations (public) and the staff endpoints of the recommender."""

from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import clock
from core.api.errors import ErrorEnvelopeSerializer
from core.api.permissions import HasModelPermissions
from core.api.public import PublicApiView
from core.authentication import request_caller
from recommendations import selectors, services, serving
from recommendations.api.serializers import (
    RecommendationsQuerySerializer,
    RecommendationsSerializer,
    RecommenderModelSerializer,
    StrategyCtrSerializer,
    TrainQueuedSerializer,
)
from recommendations.models import RecommenderModel


class RecommendationsApi(PublicApiView):
    throttle_scope = "recommendations"

    def requested_visitor_ids(self, request: Request) -> list[str]:
        return request.query_params.getlist("visitor_id")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "visitor_id",
                str,
                description="Visitor (default: the caller's own; another one needs a server key).",
            ),
            OpenApiParameter("k", int, description="How many items, 1 to 50 (default 10)."),
            OpenApiParameter(
                "strategy",
                str,
                enum=list(serving.STRATEGIES),
                description="personal (default), similar (needs product_id), popular "
                "(optionally in a segment), bought_together (product_id, else the cart).",
            ),
            OpenApiParameter("product_id", str, description="The product on the page."),
            OpenApiParameter("segment", str, description="Segment key for popular items."),
            OpenApiParameter("country", str, description="ISO country for context boosts."),
            OpenApiParameter("device", str, description="mobile, tablet or desktop (boosts)."),
        ],
        responses={
            200: RecommendationsSerializer,
            400: ErrorEnvelopeSerializer,
            429: ErrorEnvelopeSerializer,
        },
        summary="Recommended products for a visitor or product",
        description="Purchased and out-of-stock products are never returned. To measure "
        "click-through per strategy, send `impression` and `click` events with "
        "`properties.strategy` (and `properties.product_id` on clicks).",
    )
    def get(self, request: Request) -> Response:
        query = RecommendationsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        visitor_id = request_caller(request).visitor_for(data.get("visitor_id"))
        context = {key: data[key] for key in ("country", "device") if data.get(key)}
        result = serving.recommend(
            strategy=data["strategy"],
            k=data["k"],
            visitor_id=visitor_id,
            product_id=data.get("product_id"),
            segment=data.get("segment"),
            context=context,
        )
        response = Response(result.as_response())
        # Visitor-specific (history, purchases removed) whenever a visitor is known, and
        # the tracking middleware gives every browser one.
        response["Cache-Control"] = "private, no-store"
        return response


class RecommenderModelsApi(APIView):
    """Staff: the trained versions, newest first."""

    permission_classes = [HasModelPermissions]
    permission_model = RecommenderModel

    @extend_schema(responses=RecommenderModelSerializer(many=True), summary="Recommender versions")
    def get(self, request: Request) -> Response:
        models = selectors.recommender_models()[:50]
        return Response(RecommenderModelSerializer(models, many=True).data)


class TrainRecommenderApi(APIView):
    """Staff: queue a training now (the nightly schedule does the same)."""

    # Training adds a version, as the admin's "Train now" (which asks for "add" too).
    permission_classes = [HasModelPermissions]
    permission_model = RecommenderModel

    @extend_schema(
        request=None, responses={202: TrainQueuedSerializer}, summary="Train a new version"
    )
    def post(self, request: Request) -> Response:
        services.request_training()
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


class RecommendationCtrApi(APIView):
    """Staff: impressions, clicks and CTR per strategy over the last `days` days."""

    permission_classes = [HasModelPermissions]
    permission_model = RecommenderModel

    @extend_schema(
        parameters=[OpenApiParameter("days", OpenApiTypes.INT, description="Default 30.")],
        responses=StrategyCtrSerializer(many=True),
        summary="Click-through rate per recommendation strategy",
    )
    def get(self, request: Request) -> Response:
        try:
            days = min(max(int(request.query_params.get("days", 30)), 1), 3650)
        except ValueError:
            days = 30
        rows = selectors.ctr_by_strategy(since=clock.now() - timedelta(days=days))
        return Response(
            [
                {
                    "strategy": r.strategy,
                    "impressions": r.impressions,
                    "clicks": r.clicks,
                    "ctr": r.ctr,
                }
                for r in rows
            ]
        )
