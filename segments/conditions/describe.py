"""One-line, human-readable rendering of a rule for the admin.

``{"all": [{"field": "profile.flags.cart_abandoned", "op": "eq", "value": true}, ...]}``
reads ``cart abandoned = true AND count(product_view where category startswith
"outdoor/") in last 1h >= 3``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from .language import EVENT_TYPES
from .validation import check_rule

OP_SYMBOLS: dict[str, str] = {
    "eq": "=",
    "ne": "!=",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "startswith": "startswith",
}
# Path prefixes that add nothing for a reader of the admin.
_SILENT_PREFIXES = ("profile.flags.", "profile.", "context.")


def describe_rule(rule: object, *, event_types: Collection[str] = EVENT_TYPES) -> str:
    """Render a valid rule on one line; raises ``InvalidRule`` for an invalid one."""
    check_rule(rule, event_types=event_types)
    return _describe(rule, nested=False)


def _describe(node: Mapping[str, Any], *, nested: bool) -> str:
    for kind, joiner in (("all", " AND "), ("any", " OR ")):
        if kind in node:
            children = node[kind]
            text = joiner.join(_describe(child, nested=True) for child in children)
            return f"({text})" if nested and len(children) > 1 else text
    if "not" in node:
        inner = node["not"]
        if "segment" in inner:
            return f"not in segment {_literal(inner['segment'])}"
        return f"NOT {_describe(inner, nested=True)}"
    if "segment" in node:
        return f"in segment {_literal(node['segment'])}"
    if "field" in node:
        return _comparison(_field_label(node["field"]), node["op"], node["value"])
    return _comparison(_window_label(node["events"]), node["op"], node["value"])


def _field_label(field: str) -> str:
    if field.startswith("attributes."):
        return "attribute " + field.removeprefix("attributes.").replace("_", " ")
    if field.startswith("context.query."):
        return "query parameter " + field.removeprefix("context.query.")
    for prefix in _SILENT_PREFIXES:
        if field.startswith(prefix):
            field = field.removeprefix(prefix)
            break
    return field.replace(".", " ").replace("_", " ")


def _window_label(spec: Mapping[str, Any]) -> str:
    agg = spec.get("agg", "count")
    subject = spec["type"] if agg == "count" else f"{spec['property']} of {spec['type']}"
    tests = [
        _comparison(name, op, value)
        for name, ops in spec.get("where", {}).items()
        for op, value in ops.items()
    ]
    where = f" where {' and '.join(tests)}" if tests else ""
    return f"{agg}({subject}{where}) in last {spec['within']}"


def _comparison(label: str, op: str, value: Any) -> str:
    if op == "exists":
        return f"{label} is set" if value else f"{label} is not set"
    return f"{label} {OP_SYMBOLS[op]} {_literal(value)}"


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
