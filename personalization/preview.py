"""Staff "preview as": what every live placement would show a visitor in chosen segments
with a chosen request context, and the storefront URL that shows it (the storefront
honours the preview parameters for staff alone)."""

from typing import Any
from urllib.parse import urlencode

from content.models import Placement
from core import clock
from core.request_context import headless_context
from personalization.request_decisions import PREVIEW_SEGMENTS_PARAM
from personalization.services import Decision, decide


def preview_storefront_url(
    *, path: str, segments: list[str], utm_source: str = "", device: str = "", country: str = ""
) -> str:
    """The storefront URL that shows `path` to staff as members of `segments` (and, if
    given, on a device and from a country)."""
    query = {PREVIEW_SEGMENTS_PARAM: ",".join(segments)}
    if utm_source:
        query["utm_source"] = utm_source
    if device:
        query["pz_preview_device"] = device
    if country:
        query["pz_preview_country"] = country
    return f"{path}?{urlencode(query, safe=',')}"


def preview_decision(
    *, segments: list[str], device: str = "", country: str = "", utm_source: str = "", path: str
) -> Decision:
    """What every live placement would show a visitor in exactly `segments` with this
    request context, decided by the same `decide` the storefront calls."""
    raw: dict[str, Any] = {"url": path, "device": device, "country": country}
    if utm_source:
        raw["utm_source"] = utm_source
    now = clock.now()
    keys = list(Placement.objects.filter(live=True).order_by("key").values_list("key", flat=True))
    return decide(
        visitor_id=None,
        placement_keys=keys,
        context=headless_context(raw, now=clock.localtime(now)),
        now=now,
        forced_segments=segments,
    )
