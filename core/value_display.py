"""Stored JSON values (event properties, a firing's result, a model's configuration, a
cluster's centroid) as people read them: a table of keys and values, a list of records as
a table with a column per key, never a Python repr such as `{'revenue': 49.9}`.

Registered for every `JSONField` of the admin's inspect views (`core.apps`); templates use
the `readable` filter (`core.templatetags.pz_values`)."""

import json
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from wagtail.admin.ui.components import Component

MAX_ROWS = 50  # rows of a list shown; the rest is counted


def label(key: object) -> str:
    """A key as a heading: `order_id` -> "Order id"."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def scalar_text(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{round(value, 4):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _rows_note(total: int) -> SafeString:
    hidden = total - MAX_ROWS
    return format_html("<p>… and {} more</p>", hidden) if hidden > 0 else SafeString("")


def _records_table(records: list[dict[str, Any]]) -> SafeString:
    columns = list(dict.fromkeys(key for record in records for key in record))
    head = format_html_join("", "<th>{}</th>", ((label(column),) for column in columns))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((value_html(r.get(c)),) for c in columns)),)
            for r in records[:MAX_ROWS]
        ),
    )
    return format_html(
        '<table class="pz-values"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}',
        head,
        body,
        _rows_note(len(records)),
    )


def value_html(value: Any) -> SafeString:
    """`value` (decoded JSON) as HTML: dicts as key/value tables, lists of dicts as
    tables, other lists as comma-separated text, scalars as text."""
    if isinstance(value, dict):
        if not value:
            return format_html("{}", "–")
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td></tr>',
            ((label(key), value_html(item)) for key, item in value.items()),
        )
        return format_html('<table class="pz-values"><tbody>{}</tbody></table>', rows)
    if isinstance(value, list | tuple):
        if not value:
            return format_html("{}", "–")
        if all(isinstance(item, dict) for item in value):
            return _records_table(list(value))
        if any(isinstance(item, dict | list | tuple) for item in value):
            return format_html_join("", "<div>{}</div>", ((value_html(item),) for item in value))
        shown = ", ".join(scalar_text(item) for item in value[:MAX_ROWS])
        more = f", … and {len(value) - MAX_ROWS} more" if len(value) > MAX_ROWS else ""
        return format_html("{}{}", shown, more)
    return format_html("{}", scalar_text(value))


def json_text(value: Any) -> str:
    """`value` as indented JSON (for rules, shown in the language they are written in)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class JSONDisplay(Component):
    """Wagtail's display class for JSON fields (`register_display_class`)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def render_html(self, parent_context: Any = None) -> SafeString:
        return value_html(self.value)
