"""Gives every browser a pseudonymous visitor id: the one its signed `pz_vid` cookie or
`X-Pz-Visitor` token names (the header wins), else a freshly minted one.

A missing, tampered or malformed value means a new visitor; a value is never trusted
unless its signature checks. The tracker reads the id part (before ':'). No cookie is
set on a publicly cacheable response (a shared cache would hand one id to everyone) or
for a server-key call (the shop's backend has no visitor of its own).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.callers import VISITOR_HEADER, visitor_of_token, visitor_token
from tracking.services import new_visitor_id

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # machines get no visitor id


def set_request_visitor(request: HttpRequest, visitor_id: str) -> None:
    """Make `visitor_id` the browser's visitor from now on (login, logout, erasure): the
    response carries its cookie."""
    _set(request, visitor_id, visitor_token(visitor_id))


def _set(request: HttpRequest, visitor_id: str, token: str) -> None:
    request.pz_visitor_id = visitor_id  # type: ignore[attr-defined]
    request.pz_visitor_token = token  # type: ignore[attr-defined]
    request._pz_token_of = visitor_id  # type: ignore[attr-defined]


def set_visitor_cookie(response: HttpResponse, token: str) -> None:
    response.set_cookie(
        settings.PZ_VISITOR_COOKIE,
        token,
        max_age=settings.PZ_VISITOR_COOKIE_MAX_AGE,
        secure=settings.PZ_VISITOR_COOKIE_SECURE,
        httponly=False,  # the JS tracker reads the id part
        samesite="Lax",
    )


def publicly_cacheable(response: HttpResponse) -> bool:
    directives = {
        part.split("=", 1)[0].strip().lower()
        for part in response.get("Cache-Control", "").split(",")
    }
    return bool(directives & {"public", "s-maxage"}) and not directives & {"private", "no-store"}


class VisitorIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(settings.STATIC_URL) or request.path in PROBE_PATHS:
            return self.get_response(request)
        header = request.headers.get(VISITOR_HEADER)
        token = header if header is not None else request.COOKIES.get(settings.PZ_VISITOR_COOKIE)
        known = visitor_of_token(token)
        if known is None:
            set_request_visitor(request, new_visitor_id())
        else:
            _set(request, known, token)  # type: ignore[arg-type]
        response = self.get_response(request)
        current = request.pz_visitor_id  # type: ignore[attr-defined]
        if (
            current != known
            and not hasattr(request, "pz_server_key")
            and not publicly_cacheable(response)
        ):
            if request._pz_token_of != current:  # type: ignore[attr-defined]
                set_request_visitor(request, current)  # set by a view without its token
            set_visitor_cookie(response, request.pz_visitor_token)  # type: ignore[attr-defined]
        return response
