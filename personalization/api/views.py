"""Headless delivery: POST /api/v1/decide and GET /api/v1/placements."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from content.placement_catalog import placement_catalog
from core import clock
from core.api.errors import ErrorEnvelopeSerializer
from core.api.public import PublicApiView
from core.api.throttling import PublicEndpointThrottle
from core.authentication import request_caller
from core.config_version import CONFIG_VERSION_KEY, ensure_version
from core.request_context import headless_context
from personalization.api.serializers import (
    DecideInputSerializer,
    DecideOutputSerializer,
    PlacementSerializer,
)
from personalization.services import decide


class DecideApi(PublicApiView):
    throttle_scope = "decide"

    @extend_schema(
        request=DecideInputSerializer,
        responses={
            200: DecideOutputSerializer,
            400: ErrorEnvelopeSerializer,
            429: ErrorEnvelopeSerializer,
        },
        summary="Decide the content of placements for a visitor",
    )
    def post(self, request: Request) -> Response:
        serializer = DecideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        raw_context = dict(request.data.get("context") or {})
        now = clock.now()
        context = headless_context(raw_context, now=now)
        if data["context"].get("product_id"):
            context["product_id"] = data["context"]["product_id"]
        visitor_id = request_caller(request).visitor_for(data.get("visitor_id"))
        decision = decide(
            visitor_id=visitor_id,
            placement_keys=data["placements"],
            context=context,
            now=now,
            locale=context.get("locale"),
        )
        response = Response(decision.as_response())
        response["Cache-Control"] = "private, no-store"
        return response


class PlacementsApi(APIView):
    """Public and cacheable by shared caches (so it never sets a cookie); staff, signed
    in, also see each variant's targets, privately."""

    authentication_classes = APIView.authentication_classes
    permission_classes: list = []
    throttle_classes = [PublicEndpointThrottle]
    throttle_scope = "decide"

    @extend_schema(responses=PlacementSerializer(many=True), summary="Published placements")
    def get(self, request: Request) -> Response:
        from django.core.cache import cache

        catalog = placement_catalog(ensure_version(cache.get(CONFIG_VERSION_KEY)))
        staff = bool(request.user and request.user.is_staff)
        body: list[dict[str, Any]] = [
            {
                "key": config.key,
                "name": config.name,
                "variants": [v.described() if staff else v.public() for v in config.variants],
            }
            for config in catalog.placements.values()
        ]
        response = Response(body)
        response["Cache-Control"] = "private, max-age=0" if staff else "public, max-age=60"
        return response
