"""CORS for the public API: only origins in `PZ_CORS_ALLOWED_ORIGINS`, only the public
endpoints (`PZ_CORS_PATHS`), never with credentials: a headless client names its visitor
with the `X-Pz-Visitor` token (API.md "Callers and identity"); staff endpoints stay
same-origin, and server keys are for the shop's backend, never a browser."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, X-Request-ID, X-Pz-Visitor"
PREFLIGHT_MAX_AGE = 600


def origin_allowed(origin: str) -> bool:
    return origin in settings.PZ_CORS_ALLOWED_ORIGINS


def cors_applies(path: str) -> bool:
    return path.startswith(tuple(settings.PZ_CORS_PATHS))


class CorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not cors_applies(request.path):
            return self.get_response(request)
        origin = request.headers.get("Origin", "")
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = self._preflight(origin)
        else:
            response = self.get_response(request)
            if origin and origin_allowed(origin):
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Expose-Headers"] = "X-Request-ID"
        patch_vary_headers(response, ["Origin"])
        return response

    @staticmethod
    def _preflight(origin: str) -> HttpResponse:
        if not origin or not origin_allowed(origin):
            return JsonResponse(
                {
                    "error": {
                        "code": "cors_origin_not_allowed",
                        "message": "This origin may not call the API from a browser.",
                        "fields": {},
                    }
                },
                status=403,
            )
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response
