"""Request context for events and rules, derived from headers: pure functions, no Django.

The country is a demo stand-in taken from the region of the preferred `Accept-Language`
tag ("de-AT" -> "AT"); a real shop would use a GeoIP lookup at the edge. The client's IP
address is never read or stored here.
"""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.client_input import MAX_CONTEXT_STRING, SESSION_ID_RE

TABLET_RE = re.compile(r"iPad|Tablet|PlayBook|Silk", re.IGNORECASE)
MOBILE_RE = re.compile(r"Mobi|iPhone|iPod|Android|BlackBerry|Opera Mini|IEMobile", re.IGNORECASE)
REGION_RE = re.compile(r"[A-Za-z]{2}")
MAX_LOCALE = 35  # BCP 47 tags are short; a longer one is not a language


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


def rule_context(
    meta: Mapping[str, Any],
    *,
    path: str,
    query: Mapping[str, str],
    logged_in: bool,
    local_time: datetime,
    locale: str | None = None,
) -> dict[str, Any]:
    """The request context segment rules and variant targets read (`context.*`, the
    fields of `tracking.rule_fields`); `locale` is the page's language."""
    context = event_context(meta, url=path, logged_in=logged_in)
    context["path"] = path[:MAX_CONTEXT_STRING]
    if locale:
        context["locale"] = locale[:MAX_LOCALE]
    host = referrer_host(context.get("referrer"))
    if host:
        context["referrer_host"] = host
    for name in ("utm_source", "utm_medium", "utm_campaign"):
        if query.get(name):
            context[name] = str(query[name])[:200]
    context["query"] = {str(k)[:64]: str(v)[:200] for k, v in list(query.items())[:30]}
    context["local_hour"] = local_time.hour
    context["local_weekday"] = local_time.isoweekday()
    return context


def headless_context(raw: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """The rule context from a decide request's `context` object (headless clients)."""
    context: dict[str, Any] = {}
    for name in ("device", "country", "city", "utm_source", "utm_medium", "utm_campaign", "locale"):
        value = raw.get(name)
        if isinstance(value, str) and value:
            context[name] = value.upper() if name == "country" else value
    url = raw.get("url")
    if isinstance(url, str):
        context["url"] = url
        context["path"] = urlsplit(url).path or "/"
        context["query"] = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        for name in ("utm_source", "utm_medium", "utm_campaign"):
            if name not in context and context["query"].get(name):
                context[name] = context["query"][name]
    host = referrer_host(raw.get("referrer"))
    if host:
        context["referrer_host"] = host
    if isinstance(raw.get("logged_in"), bool):
        context["logged_in"] = raw["logged_in"]
    local = now
    if isinstance(raw.get("local_time"), str):
        try:
            parsed = datetime.fromisoformat(raw["local_time"])
            if parsed.tzinfo is not None:
                local = parsed
        except ValueError:
            pass
    context["local_hour"] = local.hour
    context["local_weekday"] = local.isoweekday()
    return context


def referrer_host(referrer: object) -> str | None:
    if not isinstance(referrer, str) or not referrer:
        return None
    try:
        return urlsplit(referrer).hostname
    except ValueError:
        return None
