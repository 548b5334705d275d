"""Filters that show stored values to people: `readable` (tables and words, never a Python
repr) and `as_json` (a rule, in the JSON it is written in)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from core.value_display import json_text, value_html

register = template.Library()


@register.filter
def readable(value: Any) -> SafeString:
    return value_html(value)


@register.filter
def as_json(value: Any) -> str:
    return json_text(value)
