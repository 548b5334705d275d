"""Filters that show stored values to people: `readable` (tables and words, never a Python
repr), `as_json` (a rule, in the JSON it is written in) and `money` (with the shop's
currency symbol)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from core import formatting
from core.value_display import json_text, value_html

register = template.Library()


@register.filter
def readable(value: Any) -> SafeString:
    return value_html(value)


@register.filter
def as_json(value: Any) -> str:
    return json_text(value)


@register.filter
def money(value: Any) -> str:
    """An amount with the shop's currency ("€4,310.00"); "–" for none."""
    return formatting.money(None if value in (None, "") else float(value))
