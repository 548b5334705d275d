"""Per-request personalization for server-rendered pages: segments evaluated once and all
placements of the page decided together (template tags leave markers; the middleware
resolves them in one decision)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from core import clock
from core.request_context import rule_context
from personalization.services import Decision, decide, segments_for
from segments.models import Segment
from segments.selectors import VisitorSegments
from tracking.rule_fields.iso_codes import COUNTRIES

COUNTRY_NAMES = dict(COUNTRIES)

MARKER = "<!--pz:placement:{key}-->"
PREVIEW_SEGMENTS_PARAM = "pz_preview_segments"


def request_context(request: HttpRequest) -> dict[str, Any]:
    if not hasattr(request, "_pz_context"):
        request._pz_context = rule_context(  # type: ignore[attr-defined]
            request.META,
            path=request.path,
            query=request.GET,
            logged_in=bool(getattr(request, "user", None) and request.user.is_authenticated),
            local_time=clock.localtime(),
            locale=getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE,
        )
        product_id = getattr(request, "pz_product_id", None)
        if product_id:
            request._pz_context["product_id"] = product_id  # type: ignore[attr-defined]
        if preview_segments(request) is not None:
            # Staff previews may also pretend a device and country.
            device = request.GET.get("pz_preview_device")
            country = request.GET.get("pz_preview_country", "")
            if device in {"desktop", "mobile", "tablet"}:
                request._pz_context["device"] = device  # type: ignore[attr-defined]
            if len(country) == 2 and country.isalpha():
                request._pz_context["country"] = country.upper()  # type: ignore[attr-defined]
    return request._pz_context  # type: ignore[attr-defined]


def preview_segments(request: HttpRequest) -> list[str] | None:
    """Staff may preview a page as a chosen segment set (`?pz_preview_segments=a,b`); a
    Wagtail page preview sets the request's `_pz_forced_segments` itself."""
    forced = getattr(request, "_pz_forced_segments", None)
    if forced is not None:
        return list(forced)
    raw = request.GET.get(PREVIEW_SEGMENTS_PARAM)
    user = getattr(request, "user", None)
    if raw is None or not (user and user.is_authenticated and user.is_staff):
        return None
    return [key for key in raw.split(",") if key][:50]


def preview_description(request: HttpRequest) -> str | None:
    """What a staff preview pretends, in words ("Champions, VIP · mobile · Germany"), or
    None outside a preview."""
    keys = preview_segments(request)
    if keys is None:
        return None
    names = dict(Segment.objects.filter(key__in=keys).values_list("key", "name"))
    parts = [", ".join(names.get(key, key) for key in keys) or "a visitor in no segment"]
    context = request_context(request)
    if request.GET.get("pz_preview_device") and context.get("device"):
        parts.append(str(context["device"]))
    if request.GET.get("pz_preview_country") and context.get("country"):
        parts.append(COUNTRY_NAMES.get(context["country"], context["country"]))
    return " · ".join(parts)


def _evaluated_segments(request: HttpRequest) -> tuple[VisitorSegments, bool]:
    """Segments evaluated once per request, shared by `pz_if_segment` and the decision."""
    if not hasattr(request, "_pz_segments"):
        request._pz_segments = segments_for(  # type: ignore[attr-defined]
            getattr(request, "pz_visitor_id", None),
            request_context(request),
            clock.now(),
            preview_segments(request),
        )
    return request._pz_segments  # type: ignore[attr-defined]


def request_segments(request: HttpRequest) -> VisitorSegments:
    return _evaluated_segments(request)[0]


def requested_placements(request: HttpRequest) -> list[str]:
    if not hasattr(request, "_pz_placements"):
        request._pz_placements = []  # type: ignore[attr-defined]
    return request._pz_placements  # type: ignore[attr-defined]


def decide_for_request(request: HttpRequest, keys: list[str]) -> Decision:
    return decide(
        visitor_id=getattr(request, "pz_visitor_id", None),
        placement_keys=keys,
        context=request_context(request),
        locale=getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE,
        forced_segments=preview_segments(request),
        evaluated=_evaluated_segments(request),
        extra_placements=getattr(request, "_pz_extra_placements", None),
    )
