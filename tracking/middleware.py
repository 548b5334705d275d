"""Assigns every browser a pseudonymous visitor id in the signed first-party `pz_vid` cookie.

A missing, tampered or malformed cookie is replaced by a fresh random id; the value is
never trusted unless its signature checks. The tracker reads the id part (before ':').
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from tracking.event_validation import is_visitor_id
from tracking.services import new_visitor_id

COOKIE_SALT = "pz.visitor"
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # machines get no visitor id


def read_visitor_cookie(request: HttpRequest) -> str | None:
    value = request.get_signed_cookie(settings.PZ_VISITOR_COOKIE, default=None, salt=COOKIE_SALT)
    return value if is_visitor_id(value) else None


def set_visitor_cookie(response: HttpResponse, visitor_id: str) -> None:
    response.set_signed_cookie(
        settings.PZ_VISITOR_COOKIE,
        visitor_id,
        salt=COOKIE_SALT,
        max_age=settings.PZ_VISITOR_COOKIE_MAX_AGE,
        secure=settings.PZ_VISITOR_COOKIE_SECURE,
        httponly=False,  # the JS tracker reads the id part
        samesite="Lax",
    )


class VisitorIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(settings.STATIC_URL) or request.path in PROBE_PATHS:
            return self.get_response(request)
        cookie_id = read_visitor_cookie(request)
        request.pz_visitor_id = cookie_id or new_visitor_id()  # type: ignore[attr-defined]
        response = self.get_response(request)
        current = request.pz_visitor_id  # type: ignore[attr-defined]
        if current != cookie_id:
            set_visitor_cookie(response, current)
        return response
