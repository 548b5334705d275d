"""Render a component for a decision: resolve safe placeholders, then the block template.

Block templates are developer-owned Django templates; editor text reaches them only as
values (auto-escaped) or as Wagtail rich text with placeholders substituted escaped.
"""

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from wagtail.images.models import AbstractImage
from wagtail.rich_text import RichText

from content.blocks import SafeUrlBlock
from content.placeholders import SLOT_RE, Deferred, resolve, safe_url, token_text

# An href or src attribute in rendered rich text (Wagtail writes double quotes).
_LINK_ATTRIBUTE = re.compile(r'(?P<name>\b(?:href|src))="(?P<value>[^"]*)"', re.IGNORECASE)


@dataclass
class Fragment:
    html: str
    data: dict[str, Any]
    kind: str
    unknown_tokens: list[str] = field(default_factory=list)


def _safe_links(fragment: str, unknown: list[str]) -> str:
    """Rich text with every link that `safe_url` refuses made inert (href="#")."""

    def check(match: re.Match[str]) -> str:
        if safe_url(html.unescape(match.group("value"))):
            return match.group(0)
        unknown.append(f"unsafe link: {match.group('value')[:60]}")
        return f'{match.group("name")}="#"'

    return _LINK_ATTRIBUTE.sub(check, fragment)


def _resolve_url(value: str, values: dict[str, Any], unknown: list[str]) -> str:
    """A link field: placeholders percent-encoded, then "" unless it is a safe link (the
    block templates show no button without one)."""
    rendered = resolve(value, values, escape=False, url=True)
    unknown += rendered.unknown
    link = safe_url(rendered.text)
    if rendered.text and not link:
        unknown.append(f"unsafe link: {rendered.text[:60]}")
    return link


def _resolve_value(
    value: Any, values: dict[str, Any], unknown: list[str], *, block: Any = None
) -> tuple[Any, Any]:
    """(template value, JSON data) for one block value; `block` is its block definition,
    so link fields (`SafeUrlBlock`) are resolved as links."""
    if isinstance(block, SafeUrlBlock) and isinstance(value, str):
        link = _resolve_url(value, values, unknown)
        return link, link
    if isinstance(value, RichText):
        rendered = resolve(str(value.__html__()), values, escape=True)
        unknown += rendered.unknown
        text = _safe_links(rendered.text, unknown)
        return mark_safe(text), text  # noqa: S308 - editor HTML, tokens escaped, links checked
    if isinstance(value, str) and not isinstance(value, SafeString):
        rendered = resolve(value, values, escape=False)
        unknown += rendered.unknown
        return rendered.text, rendered.text
    if isinstance(value, AbstractImage):
        rendition = value.get_rendition("fill-1200x480")
        return rendition, {
            "url": rendition.url,
            "alt": value.title,
            "width": rendition.width,
            "height": rendition.height,
        }
    if isinstance(value, datetime | date):
        return value, value.isoformat()
    if hasattr(value, "items"):
        children = getattr(getattr(value, "block", None), "child_blocks", {})
        pairs = {
            key: _resolve_value(item, values, unknown, block=children.get(key))
            for key, item in value.items()
        }
        return {k: v[0] for k, v in pairs.items()}, {k: v[1] for k, v in pairs.items()}
    if isinstance(value, list | tuple) or value.__class__.__name__ == "ListValue":
        child = getattr(getattr(value, "list_block", None), "child_block", None)
        pairs = [_resolve_value(item, values, unknown, block=child) for item in value]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return value, value


def render_component(
    component: Any,
    *,
    values: dict[str, Any],
    placement_key: str,
    variant_key: str = "default",
    extra: dict[str, Any] | None = None,
) -> Fragment:
    """HTML and structured data of a component, with tracker attributes on its wrapper."""
    block = component.body[0]
    unknown: list[str] = []
    template_value, data = _resolve_value(block.value, values, unknown, block=block.block)
    html = render_to_string(
        block.block.meta.template,
        {
            "value": template_value,
            "component": component,
            "placement_key": placement_key,
            "variant_key": variant_key,
            **(extra or {}),
        },
    )
    return Fragment(html=html.strip(), data=data, kind=block.block_type, unknown_tokens=unknown)


# What the check of a skeleton puts in for the visitor: every character escaping changes,
# and both cases, so a template filter that transforms the value shows.
PROBE_VALUE = "Pz <&\"'> \u00e4"


@dataclass
class Skeleton:
    """A component rendered once for every visitor with their own values left as slots
    (`fragment` None: this one cannot be, its template or links read the values)."""

    fragment: Fragment | None
    slots: list[tuple[str, str | None, bool]] = field(default_factory=list)


def _fill_data(data: Any, data_texts: list[str]) -> Any:
    if isinstance(data, str):
        return SLOT_RE.sub(lambda match: data_texts[int(match.group(1))], data)
    if isinstance(data, dict):
        return {key: _fill_data(item, data_texts) for key, item in data.items()}
    if isinstance(data, list):
        return [_fill_data(item, data_texts) for item in data]
    return data


def fill_skeleton(skeleton: Skeleton, values: dict[str, Any]) -> Fragment | None:
    """The skeleton's fragment with the values in its slots, as `render_component` would
    have rendered them: escaped in the HTML (block templates autoescape), in the data as
    `resolve` leaves them. None for a value with braces: `resolve` strips template syntax
    after substituting, which only a full rendering reproduces."""
    assert skeleton.fragment is not None  # noqa: S101 - callers check
    slots = skeleton.slots
    plain = [token_text(values.get(name), default, escape=False) for name, default, _ in slots]
    if any("{" in text or "}" in text for text in plain):
        return None
    data_texts = [
        html.escape(text) if escaped else text
        for text, (_, _, escaped) in zip(plain, slots, strict=True)
    ]
    fragment = skeleton.fragment
    return Fragment(
        html=SLOT_RE.sub(lambda match: html.escape(plain[int(match.group(1))]), fragment.html),
        data=_fill_data(fragment.data, data_texts),
        kind=fragment.kind,
        unknown_tokens=list(fragment.unknown_tokens),
    )


def render_skeleton(
    component: Any,
    *,
    values: dict[str, Any],
    deferred: Iterable[str],
    placement_key: str,
    variant_key: str = "default",
    extra: dict[str, Any] | None = None,
) -> tuple[Skeleton, Fragment]:
    """The component rendered with the `deferred` values as slots, and rendered for
    `values` (what this request shows). The skeleton is kept only when filling it gives
    exactly the real rendering, for these values and for a probe value."""
    names = list(deferred)
    slots: list[tuple[str, str | None, bool]] = []
    marker = Deferred(slots)
    options = {"placement_key": placement_key, "variant_key": variant_key, "extra": extra}
    skeleton = Skeleton(
        render_component(component, values={**values, **dict.fromkeys(names, marker)}, **options),
        slots,
    )
    real = render_component(component, values=values, **options)
    if not slots or marker.in_link:
        return Skeleton(None), real
    probe = {**values, **dict.fromkeys(names, PROBE_VALUE)}
    for check, rendered in ((values, real), (probe, None)):
        filled = fill_skeleton(skeleton, check)
        if filled is None and check is values:
            continue  # this visitor's values need a full rendering; the probe decides
        if filled != (rendered or render_component(component, values=check, **options)):
            return Skeleton(None), real
    return skeleton, real
