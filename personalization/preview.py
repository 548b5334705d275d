"""Staff "preview as": what every live placement would show a visitor in chosen segments
with a chosen request context, and the storefront URL that shows it (the storefront
honours the preview parameters for staff alone)."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from content.models import Component, Placement
from content.reasons import DecisionReason, ReasonKind
from core import clock
from core.request_context import headless_context
from personalization.request_decisions import PREVIEW_SEGMENTS_PARAM
from personalization.services import Decision, decide
from segments.models import Segment


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


@dataclass
class PlacementRow:
    """One placement of a decision as staff read it: names, not keys."""

    key: str
    placement: str
    variant: str
    component: str
    why: str


def reason_text(reason: DecisionReason, segment_names: dict[str, str]) -> str:
    """Why a variant was chosen, in words."""
    names = [segment_names.get(key, key) for key in reason.segments]
    if reason.kind == ReasonKind.SEGMENT:
        return f"They are in the segment “{names[0]}”."
    if reason.kind == ReasonKind.SEGMENTS:
        return "They are in all of the segments " + ", ".join(f"“{n}”" for n in names) + "."
    return {
        ReasonKind.CONTEXT: "The visit's context (device, country, campaign …) matches.",
        ReasonKind.DEFAULT: "No targeted variant applies: the default content.",
        ReasonKind.FALLBACK: "No targeted variant applies: the fallback content.",
        ReasonKind.TRIGGER: "A trigger left them a message.",
        ReasonKind.HOLDOUT: "They are in the global holdout: the fallback content.",
    }.get(reason.kind, str(reason))


def placement_rows(decision: Decision) -> list[PlacementRow]:
    """The decision's placements by name, each with the component it shows and why."""
    segment_names = dict(Segment.objects.values_list("key", "name"))
    placement_names = dict(Placement.objects.values_list("key", "name"))
    component_names = dict(Component.objects.values_list("key", "name"))
    rows = []
    for key, placed in decision.placements.items():
        name = placement_names.get(key, key)
        if placed is None:
            rows.append(PlacementRow(key, name, "", "", "No variant and no fallback apply."))
            continue
        shown = component_names.get(placed.component, placed.component)
        why = reason_text(placed.reason, segment_names)
        rows.append(PlacementRow(key, name, placed.variant, shown, why))
    return rows
