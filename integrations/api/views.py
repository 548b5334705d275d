"""`POST /api/v1/integrations/segment` and the `/v1/batch|track|identify|page` paths that
Segment's own server-side libraries post to (API.md "Event sources in other formats")."""

import base64
import binascii

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import ErrorEnvelopeSerializer
from core.api.parsers import SafeJSONParser
from core.authentication import ServerKeyAuthentication
from core.errors import Invalid
from core.selectors import ActiveServerKey, active_server_key
from core.services import note_server_key_used
from integrations.services import ingest_segment_messages
from tracking.api.serializers import IngestResultSerializer


class WriteKeyAuthentication(BaseAuthentication):
    """Segment's libraries send the write key as the HTTP Basic user name (no password):
    here the write key is a pz server key."""

    def authenticate(self, request: Request) -> tuple[object, ActiveServerKey] | None:
        words = get_authorization_header(request).split()
        if len(words) != 2 or words[0].lower() != b"basic":
            return None
        try:
            user, _, _ = base64.b64decode(words[1], validate=True).decode("latin-1").partition(":")
        except (binascii.Error, ValueError):
            raise AuthenticationFailed("Malformed Basic credentials.") from None
        server_key = active_server_key(user)
        if server_key is None:
            raise AuthenticationFailed("Invalid or revoked server key.")
        note_server_key_used(server_key.id)
        request._request.pz_server_key = server_key
        return AnonymousUser(), server_key

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="pz"'


class WriteKeyScheme(OpenApiAuthenticationExtension):
    target_class = WriteKeyAuthentication
    name = "segmentWriteKey"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "A pz server key as the user name, no password (Segment's "
            "libraries send their write key so).",
        }


class IsServerKey(BasePermission):
    message = "A server key is needed (as Bearer token or as the Basic user name)."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, ActiveServerKey)


class SegmentApi(APIView):
    authentication_classes = [WriteKeyAuthentication, ServerKeyAuthentication]
    permission_classes = [IsServerKey]
    parser_classes = [SafeJSONParser]
    # Set per path: /v1/track carries one message whose type the path gives.
    message_type: str | None = None
    # A bad value rejects its own message, not the batch (Segment's libraries resend it).
    validates_each_item = True

    @extend_schema(
        request=dict,
        responses={200: IngestResultSerializer, 400: ErrorEnvelopeSerializer},
        summary="Segment tracking API messages (track, identify, page, batch) as pz events",
        description='A single message, or `{"batch": [...]}` of up to 1,000; spec v2 '
        "e-commerce names map to pz events (README table). The response is the events "
        "report, rejections by message index.",
    )
    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict):
            raise Invalid("Body must be a JSON object.", {"body": "must be an object"})
        if "batch" in body or self.message_type == "batch":
            messages = body.get("batch")
            if not isinstance(messages, list):
                raise Invalid("'batch' must be a list.", {"batch": "must be a list"})
        else:
            messages = [body]
        if len(messages) > settings.PZ_MAX_BATCH_EVENTS:
            raise Invalid(
                "Too many messages in one batch.",
                {"batch": f"at most {settings.PZ_MAX_BATCH_EVENTS} messages per batch"},
            )
        default_type = None if self.message_type == "batch" else self.message_type
        result = ingest_segment_messages(messages, default_type=default_type)
        return Response(result.as_response(), status=status.HTTP_200_OK)
