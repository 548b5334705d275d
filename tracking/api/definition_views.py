"""Staff API of the shop's own event types and customer attributes (API.md "Event types
and customer attributes")."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import ErrorEnvelopeSerializer
from core.api.permissions import HasModelPermissions, ServerKeyOrModelPermissions
from core.authentication import ServerKeyAuthentication
from core.errors import Conflict, DomainError, Invalid
from tracking import definitions, services
from tracking.api.serializers import (
    AttributeSerializer,
    CustomerBatchSerializer,
    EventTypeInputSerializer,
    EventTypeSerializer,
    ImportReportSerializer,
)
from tracking.models import AttributeDefinition, EventTypeDefinition, VisitorProfile
from tracking.rule_fields.builtin import EVENT_TYPE_LABELS

MAX_CUSTOMERS = 1000
ERRORS = {400: ErrorEnvelopeSerializer, 409: ErrorEnvelopeSerializer}


def api_error(exc: definitions.DefinitionError) -> DomainError:
    if exc.conflict:
        return Conflict(str(exc), exc.fields)
    return Invalid(str(exc), exc.fields)


def _label(data: dict) -> str:
    label = data.get("label") or ""
    if not isinstance(label, str):
        raise Invalid("The label must be text.", {"label": "must be a string"})
    return label


def event_types_listing() -> list[dict]:
    builtin = [
        {"name": name, "label": EVENT_TYPE_LABELS[name], "builtin": True, "properties": props}
        for name, props in sorted(definitions.builtin_event_schemas().items())
    ]
    custom = [
        {
            "name": row.name,
            "label": row.label or row.name,
            "builtin": False,
            "properties": row.properties,
        }
        for row in EventTypeDefinition.objects.order_by("name")
    ]
    return builtin + custom


class EventTypesApi(APIView):
    permission_classes = [HasModelPermissions]
    permission_model = EventTypeDefinition

    @extend_schema(
        responses=EventTypeSerializer(many=True),
        summary="Built-in and custom event types with their property schema",
    )
    def get(self, request: Request) -> Response:
        return Response(EventTypeSerializer(event_types_listing(), many=True).data)

    @extend_schema(
        request=EventTypeInputSerializer,
        responses={201: EventTypeSerializer, **ERRORS},
        summary="Register a custom event type (ingest accepts it from the next request)",
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        try:
            row = definitions.event_type_register(
                name=data.get("name"),  # type: ignore[arg-type]
                properties=data.get("properties", {}),
                label=_label(data),
                user=request.user,
            )
        except definitions.DefinitionError as exc:
            raise api_error(exc) from exc
        body = {"name": row.name, "label": row.label or row.name, "builtin": False}
        return Response(
            EventTypeSerializer({**body, "properties": row.properties}).data,
            status=status.HTTP_201_CREATED,
        )


def attributes_listing() -> list[dict]:
    defined = {row.key: row for row in AttributeDefinition.objects.all()}
    rows = []
    for key, spec in sorted(definitions.builtin_attributes().items()):
        if key not in defined:
            rows.append(
                {
                    "key": key,
                    "type": spec.type,
                    "label": spec.label,
                    "choices": list(spec.choices),
                    "builtin": True,
                }
            )
    for row in defined.values():
        rows.append(
            {
                "key": row.key,
                "type": row.type,
                "label": row.label or row.key,
                "choices": row.choices,
                "builtin": False,
            }
        )
    return sorted(rows, key=lambda row: row["key"])


class AttributesApi(APIView):
    permission_classes = [HasModelPermissions]
    permission_model = AttributeDefinition

    @extend_schema(
        responses=AttributeSerializer(many=True),
        summary="Customer attributes: the built-in CRM columns and the shop's definitions",
    )
    def get(self, request: Request) -> Response:
        return Response(AttributeSerializer(attributes_listing(), many=True).data)

    @extend_schema(
        request=AttributeSerializer,
        responses={201: AttributeSerializer, **ERRORS},
        summary="Define a customer attribute (rules read it typed; imports check it)",
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        try:
            row = definitions.attribute_define(
                key=data.get("key"),  # type: ignore[arg-type]
                type=data.get("type", "string"),
                label=_label(data),
                choices=data.get("choices"),
                user=request.user,
            )
        except definitions.DefinitionError as exc:
            raise api_error(exc) from exc
        body = {"key": row.key, "type": row.type, "label": row.label or row.key}
        return Response(
            AttributeSerializer({**body, "choices": row.choices, "builtin": False}).data,
            status=status.HTTP_201_CREATED,
        )


class CustomersApi(APIView):
    """`PUT /customers`: the shop's backend (server key) or staff importing customers."""

    # A bad value rejects its own item in the report, not the batch.
    validates_each_item = True

    authentication_classes = [
        ServerKeyAuthentication,
        SessionAuthentication,
        TokenAuthentication,
    ]
    permission_classes = [ServerKeyOrModelPermissions]
    server_key_methods = ("PUT",)
    permission_model = VisitorProfile

    @extend_schema(
        request=CustomerBatchSerializer,
        responses={200: ImportReportSerializer, 400: ErrorEnvelopeSerializer},
        summary="Create or update up to 1,000 customers and their attributes",
    )
    def put(self, request: Request) -> Response:
        payload = request.data
        items = payload.get("customers") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise Invalid(
                "Body must be an object with a 'customers' list.", {"customers": "is required"}
            )
        if len(items) > MAX_CUSTOMERS:
            raise Invalid(
                "Too many customers in one call.",
                {"customers": f"at most {MAX_CUSTOMERS} per call"},
            )
        return Response(services.upsert_customers(items).as_response())
