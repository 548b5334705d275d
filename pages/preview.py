"""Previewing a page "as" a segment, a device or a country (Wagtail preview modes). A
preview decides with the forced segments, so it enrols no one in experiments, logs no
exposure, and its template loads no tracker (no impression is counted)."""

from typing import Any

from django.http import HttpRequest

from personalization.request_decisions import request_context

DEVICES = [("desktop", "Desktop"), ("mobile", "Mobile"), ("tablet", "Tablet")]
COUNTRIES = [("DE", "Germany"), ("FR", "France"), ("GB", "United Kingdom"), ("US", "United States")]


def preview_modes() -> list[tuple[str, str]]:
    """ "As a new visitor" (no segment), as each active segment, on each device and from a
    few countries."""
    from segments.models import Segment

    modes = [("", "As a new visitor (no segments)")]
    segments = Segment.objects.filter(is_active=True).order_by("name").values_list("key", "name")
    modes += [(f"segment:{key}", f"As segment: {name}") for key, name in segments]
    modes += [(f"device:{key}", f"On {name.lower()}") for key, name in DEVICES]
    modes += [(f"country:{code}", f"From {name}") for code, name in COUNTRIES]
    return modes


def parse_mode(mode_name: str) -> tuple[list[str], dict[str, Any]]:
    """(forced segments, context overrides) of a preview mode name."""
    kind, _, value = mode_name.partition(":")
    if kind == "segment" and value:
        return [value], {}
    if kind == "device" and value in dict(DEVICES):
        return [], {"device": value}
    if kind == "country" and len(value) == 2 and value.isalpha():
        return [], {"country": value.upper()}
    return [], {}


def apply_preview_mode(request: HttpRequest, mode_name: str) -> None:
    """Make this request decide as the preview mode says: exactly these segments (none by
    default) and the context overrides."""
    segments, overrides = parse_mode(mode_name or "")
    request._pz_forced_segments = segments  # type: ignore[attr-defined]
    request_context(request).update(overrides)
