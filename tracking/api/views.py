"""Tracking API: event batches, consent, and visitor profile / export / erasure."""

from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import clock
from core.api.errors import ErrorEnvelopeSerializer
from core.api.public import PublicApiView
from core.authentication import request_caller
from core.callers import VISITOR_HEADER
from core.client_input import is_visitor_id
from core.errors import Invalid
from core.visitor_data import registered_sections
from tracking import selectors, services
from tracking.api.permissions import IsStaffOrTheVisitor, IsTheVisitor
from tracking.api.serializers import (
    ConsentInputSerializer,
    ConsentOutputSerializer,
    EventBatchSerializer,
    IngestResultSerializer,
    VisitorProfileSerializer,
)
from tracking.middleware import set_request_visitor
from tracking.models import VisitorProfile
from tracking.profile_state import profile_document

ERRORS = {
    400: ErrorEnvelopeSerializer,
    413: ErrorEnvelopeSerializer,
    429: ErrorEnvelopeSerializer,
}


class EventsApi(PublicApiView):
    throttle_scope = "events"
    # An unstorable value rejects the one event holding it (the report), not the batch.
    validates_each_item = True

    def requested_visitor_ids(self, request: Request) -> list[Any]:
        events = request.data.get("events") if isinstance(request.data, dict) else None
        if not isinstance(events, list):
            return []
        return [event.get("visitor_id") for event in events if isinstance(event, dict)]

    @extend_schema(
        request=EventBatchSerializer,
        responses={202: IngestResultSerializer, **ERRORS},
        summary="Ingest a batch of up to 1,000 events",
    )
    def post(self, request: Request) -> Response:
        payload = request.data
        if not isinstance(payload, dict) or "events" not in payload:
            raise Invalid(
                "Body must be an object with an 'events' list.", {"events": "is required"}
            )
        events = payload["events"]
        if not isinstance(events, list):
            raise Invalid("'events' must be a list.", {"events": "must be a list"})
        if len(events) > settings.PZ_MAX_BATCH_EVENTS:
            raise Invalid(
                "Too many events in one batch.",
                {"events": f"at most {settings.PZ_MAX_BATCH_EVENTS} events per batch"},
            )
        caller = request_caller(request)
        result = services.ingest_events(
            events,
            default_visitor_id=caller.visitor_for(None),
            gpc=getattr(request._request, "pz_gpc", False),
            verify_identity=not caller.is_server,
        )
        return Response(result.as_response(), status=status.HTTP_202_ACCEPTED)


class ConsentApi(PublicApiView):
    throttle_scope = "consent"

    @extend_schema(
        request=ConsentInputSerializer,
        responses={200: ConsentOutputSerializer, **ERRORS},
        summary="Record a visitor's tracking, personalization and marketing e-mail consent",
    )
    def post(self, request: Request) -> Response:
        serializer = ConsentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visitor_id = request_caller(request).visitor_for(data.get("visitor_id"))
        if not visitor_id:
            raise Invalid("visitor_id is required.", {"visitor_id": "is required"})
        profile = services.set_consent(
            visitor_id=visitor_id,
            tracking=data.get("tracking"),
            personalization=data.get("personalization"),
            marketing_email=data.get("marketing_email"),
            email=data.get("email"),
            source="api:server" if request_caller(request).is_server else "api:browser",
        )
        entry = selectors.cache_entry(profile)
        consent = selectors.consent_of(entry).as_dict()
        marketing = selectors.marketing_email_of(entry)["consent"]
        return Response(
            ConsentOutputSerializer(
                {
                    "visitor_id": visitor_id,
                    **consent,
                    "marketing_email": marketing,
                    "updated_at": profile.consent_updated_at,
                }
            ).data
        )


def visitor_profile_response(visitor_id: str) -> dict[str, Any]:
    entry = selectors.get_profile_entry(visitor_id)
    if entry is None:
        raise Http404
    document = profile_document(entry.state, clock.now(), selectors.profile_settings())
    document["visitor_id"] = visitor_id
    document["consent"] = selectors.consent_of(entry).as_dict()
    document["segments"] = []
    for section in registered_sections():
        if section.profile_summary is not None:
            document[section.name] = section.profile_summary(visitor_id)
    return document


class VisitorApi(APIView):
    permission_classes = [IsStaffOrTheVisitor]
    permission_model = VisitorProfile

    def _check_id(self, visitor_id: str) -> None:
        if not is_visitor_id(visitor_id):
            raise Http404

    @extend_schema(responses={200: VisitorProfileSerializer}, summary="A visitor's profile")
    def get(self, request: Request, visitor_id: str) -> Response:
        self._check_id(visitor_id)
        return Response(visitor_profile_response(visitor_id))

    @extend_schema(
        responses={204: None},
        summary="Erase everything stored about a visitor",
        description="The visitor's own erasure also gives the browser a new visitor (a new "
        "`pz_vid` cookie, and the new token in the `X-Pz-Visitor` response header), so "
        "tracking does not resume under the erased id.",
    )
    def delete(self, request: Request, visitor_id: str) -> Response:
        self._check_id(visitor_id)
        if not services.erase_visitor(visitor_id=visitor_id):
            raise Http404
        response = Response(status=status.HTTP_204_NO_CONTENT)
        if IsTheVisitor().has_permission(request, self):
            set_request_visitor(request._request, services.new_visitor_id())
            response[VISITOR_HEADER] = request._request.pz_visitor_token
        return response


class VisitorExportApi(APIView):
    permission_classes = [IsStaffOrTheVisitor]
    permission_model = VisitorProfile

    @extend_schema(
        responses={200: OpenApiResponse(description="Everything stored, by section")},
        summary="Export everything stored about a visitor",
    )
    def get(self, request: Request, visitor_id: str) -> Response:
        if not is_visitor_id(visitor_id) or selectors.get_profile_entry(visitor_id) is None:
            raise Http404
        return Response(services.export_visitor(visitor_id=visitor_id))
