"""Render a component for a decision: resolve safe placeholders, then the block template.

Block templates are developer-owned Django templates; editor text reaches them only as
values (auto-escaped) or as Wagtail rich text with placeholders substituted escaped.
"""

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from wagtail.images.models import AbstractImage
from wagtail.rich_text import RichText

from content.blocks import SafeUrlBlock
from content.placeholders import resolve, safe_url

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
