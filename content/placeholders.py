"""Safe placeholders in editor text: `{{ visitor.first_name|default:"there" }}`.

Editors never run template code. Only whitelisted names resolve, from values the decision
supplies; anything else inside `{{ }}` or `{% %}` renders as its default (or nothing) and
is reported, so `{% load %}` or `{{ settings.SECRET_KEY }}` can do no harm.
"""

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

ALLOWED_TOKENS = frozenset(
    {
        "visitor.first_name",
        "visitor.city",
        "visitor.country",
        "visitor.loyalty_tier",
        "segment.name",
        "segment.discount_code",
        "offer.percent",
        "offer.code",
        "offer.expires",
        "shop.name",
    }
)
# A token: a dotted name with an optional default; tolerant of spaces. Quotes may arrive
# HTML-escaped from rich text.
TOKEN = re.compile(
    r"\{\{\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*"
    r"(?:\|\s*default\s*:\s*(?:\"|&quot;|&#x27;|&#34;|')(?P<default>.*?)(?:\"|&quot;|&#x27;|&#34;|'))?"
    r"\s*\}\}"
)
ANY_TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
# Whitespace and control characters are dropped by browsers inside URLs ("java\tscript:")
# and a backslash counts as a slash ("/\\evil.example" is "//evil.example"): never in a link.
_URL_UNSAFE_CHARS = re.compile(
    r"[\x00-\x20\x7f-\x9f\\\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]"
)
_SAFE_SCHEMES = ("https", "http", "mailto", "tel")


class Deferred:
    """A value left out of a rendering: each token naming it becomes a numbered mark
    (`SLOT`), recorded in `slots` as (name, default, escaped), so a fragment shared by every
    visitor can be rendered once and the visitor's own values put in per request
    (`content.rendering.fill_skeleton`). A link (`url`) is never deferred: whether a link
    is safe depends on the value, so `in_link` records that one was asked for."""

    def __init__(self, slots: list[tuple[str, str | None, bool]]) -> None:
        self.slots = slots
        self.in_link = False

    def mark(self, name: str, default: str | None, *, escape: bool, url: bool) -> str:
        if url:
            self.in_link = True
        self.slots.append((name, default, escape))
        return SLOT.format(len(self.slots) - 1)


# Private-use characters: never escaped, percent-encoded or written by an editor's text.
SLOT = "\ue000{}\ue001"
SLOT_RE = re.compile("\ue000([0-9]+)\ue001")


def token_text(value: object, default: str | None, *, escape: bool) -> str:
    """What one token renders as: the value, else its default, escaped for HTML text."""
    if value in (None, ""):
        value = html.unescape(default) if default is not None else ""
    return html.escape(str(value)) if escape else str(value)


@dataclass
class Rendered:
    text: str
    unknown: list[str] = field(default_factory=list)


def visitor_values(
    attributes: Mapping[str, object], context: Mapping[str, object], *, shop_name: str
) -> dict[str, object]:
    """The `visitor.*` and `shop.*` values of a visitor: CRM attributes first, then the
    request's (or the last seen) context. Components and trigger emails use the same."""
    return {
        "visitor.first_name": attributes.get("first_name"),
        "visitor.city": attributes.get("city") or context.get("city"),
        "visitor.country": context.get("country"),
        "visitor.loyalty_tier": attributes.get("loyalty_tier"),
        "shop.name": shop_name,
    }


def resolve(
    text: str, values: Mapping[str, object], *, escape: bool, url: bool = False
) -> Rendered:
    """Substitute whitelisted tokens; escape substituted values when `text` is HTML, and
    percent-encode them when `text` is a link (a value is data, never a slash, a scheme
    or a host). Use `safe_url` on a resolved link before it reaches an `href`."""
    unknown: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        value = values.get(name) if name in ALLOWED_TOKENS else None
        if name not in ALLOWED_TOKENS:
            unknown.append(name)
        if isinstance(value, Deferred):
            return value.mark(name, default, escape=escape, url=url)
        if url:
            return quote(token_text(value, default, escape=False), safe="")
        return token_text(value, default, escape=escape)

    text = TOKEN.sub(substitute, text)

    def strip(match: re.Match[str]) -> str:
        unknown.append(match.group(0)[:60])
        return ""

    text = ANY_TEMPLATE_SYNTAX.sub(strip, text)
    return Rendered(text=text, unknown=unknown)


def safe_url(url: str) -> str:
    """The link if a browser can only follow it to a page, else "": a site path ("/x",
    never "//host" or "/\\host"), a fragment, or an http(s), mailto or tel URL. Refused:
    active schemes (`javascript:`, `data:`, `vbscript:`), protocol-relative links, and
    whitespace, control or backslash characters anywhere (browsers drop or reinterpret
    them, so they hide a scheme or a second slash)."""
    if not isinstance(url, str) or not url or _URL_UNSAFE_CHARS.search(url):
        return ""
    if url.startswith("/"):
        return url if not url.startswith("//") else ""
    if url.startswith("#"):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in _SAFE_SCHEMES or not url[: len(scheme)].isascii():
        return ""
    if scheme in ("http", "https") and not (
        url[len(scheme) :].startswith("://") and parts.hostname
    ):
        return ""
    return url


def unknown_tokens(text: str) -> list[str]:
    """Tokens an editor wrote that will not resolve (shown as warnings in the admin)."""
    return resolve(text, {}, escape=False).unknown
