"""Event context derived from request headers: pure functions, no Django.

The country is a demo stand-in taken from the region of the preferred `Accept-Language`
tag ("de-AT" -> "AT"); a real shop would use a GeoIP lookup at the edge. The client's IP
address is never read or stored here.
"""

import re
from collections.abc import Mapping
from typing import Any

from tracking.event_validation import MAX_CONTEXT_STRING, SESSION_ID_RE

TABLET_RE = re.compile(r"iPad|Tablet|PlayBook|Silk", re.IGNORECASE)
MOBILE_RE = re.compile(r"Mobi|iPhone|iPod|Android|BlackBerry|Opera Mini|IEMobile", re.IGNORECASE)
REGION_RE = re.compile(r"[A-Za-z]{2}")


def device_from_user_agent(user_agent: str) -> str:
    """mobile | tablet | desktop, by the same heuristic as pz.js."""
    if TABLET_RE.search(user_agent) or (
        "android" in user_agent.lower() and "mobile" not in user_agent.lower()
    ):
        return "tablet"
    if MOBILE_RE.search(user_agent):
        return "mobile"
    return "desktop"


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def country_from_accept_language(header: str) -> str | None:
    """The region of the most preferred language tag that has one, upper-cased."""
    ranked = []
    for position, item in enumerate(header.split(",")[:20]):
        tag, *parameters = item.strip().split(";")
        ranked.append((-_quality(parameters), position, tag.strip()))
    for _, _, tag in sorted(ranked):
        for subtag in tag.split("-")[1:]:
            if REGION_RE.fullmatch(subtag):
                return subtag.upper()
    return None


def session_id_from_cookie(value: str | None) -> str:
    """The tracker's session id (mirrored into the `pz_sid` cookie), or "" if unusable."""
    if value and SESSION_ID_RE.fullmatch(value):
        return value
    return ""


def event_context(meta: Mapping[str, Any], *, url: str, logged_in: bool) -> dict[str, Any]:
    """The `context` of a server-side event from the request's META headers."""
    context: dict[str, Any] = {
        "device": device_from_user_agent(str(meta.get("HTTP_USER_AGENT", ""))),
        "url": url[:MAX_CONTEXT_STRING],
        "logged_in": logged_in,
    }
    country = country_from_accept_language(str(meta.get("HTTP_ACCEPT_LANGUAGE", "")))
    if country:
        context["country"] = country
    referrer = str(meta.get("HTTP_REFERER", ""))
    if referrer:
        context["referrer"] = referrer[:MAX_CONTEXT_STRING]
    return context
