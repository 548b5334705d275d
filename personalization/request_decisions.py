"""Per-request personalization for server-rendered pages: segments evaluated once and all
placements of the page decided together (template tags leave markers; the middleware
resolves them in one decision)."""

from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from core import clock
from core.request_context import rule_context
from experiments.selectors import Assignment
from personalization.services import Decision, decide, target_experiment_arm, visitor_context_for
from segments.models import Segment
from segments.visitor_context import VisitorContext
from tracking.rule_fields.iso_codes import COUNTRIES

COUNTRY_NAMES = dict(COUNTRIES)

MARKER = "<!--pz:placement:{key}-->"
PREVIEW_SEGMENTS_PARAM = "pz_preview_segments"


@dataclass
class RequestPersonalization:
    """One request's personalization, typed, as `request.pz`: its rule context and visitor
    context (each built once, on first use), the placements its template asked for, and
    the decision the middleware filled them from."""

    context: dict[str, Any] | None = None
    visitor: VisitorContext | None = None
    placements: list[str] = field(default_factory=list)
    decision: Decision | None = None


def request_pz(request: HttpRequest) -> RequestPersonalization:
    """The request's personalization state (`request.pz`), created on first use."""
    state = getattr(request, "pz", None)
    if state is None:
        state = RequestPersonalization()
        request.pz = state  # type: ignore[attr-defined]  # HttpRequest has no slot for it
    return state


def personalized(request: HttpRequest) -> bool:
    """Whether the request used personalization (segments evaluated or placements asked)."""
    state = getattr(request, "pz", None)
    return state is not None and (state.visitor is not None or bool(state.placements))


def request_context(request: HttpRequest) -> dict[str, Any]:
    pz = request_pz(request)
    if pz.context is None:
        context = rule_context(
            request.META,
            path=request.path,
            query=request.GET,
            logged_in=bool(getattr(request, "user", None) and request.user.is_authenticated),
            local_time=clock.localtime(),
            locale=getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE,
        )
        product_id = getattr(request, "pz_product_id", None)
        if product_id:
            context["product_id"] = product_id
        if preview_segments(request) is not None:
            # Staff previews may also pretend a device and country.
            device = request.GET.get("pz_preview_device")
            country = request.GET.get("pz_preview_country", "")
            if device in {"desktop", "mobile", "tablet"}:
                context["device"] = device
            if len(country) == 2 and country.isalpha():
                context["country"] = country.upper()
        pz.context = context
    return pz.context


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


def request_visitor(request: HttpRequest) -> VisitorContext:
    """The visitor's context (segments evaluated) once per request, shared by
    `pz_if_segment` and the decision."""
    pz = request_pz(request)
    if pz.visitor is None:
        pz.visitor = visitor_context_for(
            getattr(request, "pz_visitor_id", None),
            request_context(request),
            clock.now(),
            preview_segments(request),
        )
    return pz.visitor


def requested_placements(request: HttpRequest) -> list[str]:
    return request_pz(request).placements


def request_experiment_arm(
    request: HttpRequest, key: str, available: Container[str]
) -> Assignment | None:
    """This request's visitor's arm of the experiment on `key` (see
    `target_experiment_arm`), its first exposure recorded; never in a preview."""
    if getattr(request, "is_preview", False):
        return None
    return target_experiment_arm(
        request_visitor(request), key, preview_segments(request), available
    )


def decide_for_request(request: HttpRequest, keys: list[str]) -> Decision:
    return decide(
        visitor_id=getattr(request, "pz_visitor_id", None),
        placement_keys=keys,
        context=request_context(request),
        locale=getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE,
        forced_segments=preview_segments(request),
        evaluated=request_visitor(request),
        extra_placements=getattr(request, "_pz_extra_placements", None),
    )
