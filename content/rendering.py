"""Render a component for a decision: resolve safe placeholders, then the block template.

Block templates are developer-owned Django templates; editor text reaches them only as
values (auto-escaped) or as Wagtail rich text with placeholders substituted escaped.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from wagtail.images.models import AbstractImage
from wagtail.rich_text import RichText

from content.placeholders import resolve


@dataclass
class Fragment:
    html: str
    data: dict[str, Any]
    kind: str
    unknown_tokens: list[str] = field(default_factory=list)


def _resolve_value(value: Any, values: dict[str, Any], unknown: list[str]) -> tuple[Any, Any]:
    """(template value, JSON data) for one block value."""
    if isinstance(value, RichText):
        rendered = resolve(str(value.__html__()), values, escape=True)
        unknown += rendered.unknown
        return mark_safe(rendered.text), rendered.text  # noqa: S308 - editor HTML, tokens escaped
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
        pairs = {key: _resolve_value(item, values, unknown) for key, item in value.items()}
        return {k: v[0] for k, v in pairs.items()}, {k: v[1] for k, v in pairs.items()}
    if isinstance(value, list | tuple) or value.__class__.__name__ == "ListValue":
        pairs = [_resolve_value(item, values, unknown) for item in value]
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
    template_value, data = _resolve_value(block.value, values, unknown)
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
