"""The API's one error shape: {"error": {"code", "message", "fields"}}."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from core.errors import Busy, DomainError

API_PREFIX = "/api/"

_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: under /api/ (a URL no view matches) the API's error shape, elsewhere
    the site's own page."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the API's error shape under /api/, the site's own page elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(error_body("server_error", "Server error."), status=500)
    return defaults.server_error(request)


def _flatten(detail: Any) -> Any:
    if isinstance(detail, list):
        return (
            "; ".join(str(item) for item in detail)
            if all(not isinstance(i, dict | list) for i in detail)
            else [_flatten(i) for i in detail]
        )
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The one exception handler: domain errors raised by services (`core.errors`) and
    DRF's own exceptions both become `{"error": {"code", "message", "fields"}}`."""
    if isinstance(exc, DomainError):
        set_rollback()
        refused = Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
        if isinstance(exc, Busy):
            refused["Retry-After"] = str(exc.retry_after_seconds)
        return refused
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = _CODES.get(response.status_code, "error")
    fields: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        message = "Invalid input."
        flat = _flatten(exc.detail)
        fields = flat if isinstance(flat, dict) else {"non_field_errors": flat}
    elif isinstance(exc, exceptions.ParseError):
        message, code = str(exc.detail), "invalid_json"
        fields = {"body": str(exc.detail)}
    else:
        message = str(getattr(exc, "detail", exc))
    response.data = error_body(code, message, fields)
    return response


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    # The API's field is called "fields", which shadows Serializer.fields for the checker.
    fields = serializers.DictField()  # type: ignore[assignment]


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorSerializer()
