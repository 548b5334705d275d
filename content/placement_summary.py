"""Who sees what on a placement, in words and in precedence order, for the editor:
"Champions or High value → VIP hero; … ; everyone else → Welcome hero"."""

from dataclasses import dataclass
from typing import Any

from django.utils import formats

from segments.conditions import InvalidRule, describe_rule
from segments.field_registry import current_registry


@dataclass(frozen=True)
class AudienceLine:
    audience: str
    content: str
    is_fallback: bool


def _names(segments: Any) -> list[str]:
    return sorted(segment.name for segment in segments.all())


def _day(value: Any) -> str:
    return formats.date_format(value, "j M Y")


def variant_audience(variant: Any) -> str:
    """Who a variant is for, in words (segments by name, the context rule by labels, the
    schedule by dates)."""
    if variant.is_fallback:
        return "everyone else"
    parts = []
    if any_of := _names(variant.segments_any):
        parts.append(" or ".join(any_of))
    if all_of := _names(variant.segments_all):
        parts.append("in all of " + ", ".join(all_of))
    if none_of := _names(variant.segments_none):
        parts.append("not in " + " or ".join(none_of))
    if variant.context_rule:
        try:
            parts.append(describe_rule(variant.context_rule, registry=current_registry()))
        except InvalidRule:
            parts.append("a condition that needs fixing")
    if variant.starts_at and variant.ends_at:
        parts.append(f"from {_day(variant.starts_at)} to {_day(variant.ends_at)}")
    elif variant.starts_at:
        parts.append(f"from {_day(variant.starts_at)}")
    elif variant.ends_at:
        parts.append(f"until {_day(variant.ends_at)}")
    return "; ".join(parts) if parts else "everyone"


def _content(variant: Any) -> str:
    component = getattr(variant, "component", None) if variant.component_id else None
    return component.name if component else "(no content chosen)"


def variant_line(variant: Any) -> str:
    """One variant as its summary line: "Champions or High value → VIP hero"."""
    audience = variant_audience(variant)
    return f"{audience[:1].upper()}{audience[1:]} → {_content(variant)}"


def in_precedence(variants: Any) -> list[Any]:
    """The variants in the order they are tried (the editor's order; the fallback last)."""
    return sorted(variants, key=lambda v: (v.is_fallback, -(v.priority or 0), v.sort_order or 0))


def who_sees_what(variants: list[Any]) -> list[AudienceLine]:
    """Who sees what, one line per variant, in precedence order."""
    return [
        AudienceLine(variant_audience(v), _content(v), v.is_fallback)
        for v in in_precedence(variants)
    ]
