"""One-line, human-readable rendering of a rule for the admin.

``{"all": [{"field": "profile.flags.cart_abandoned", "op": "eq", "value": true}, ...]}``
reads ``Abandoned a cart = true AND count(product_view where category startswith
"outdoor/") in last 1h >= 3``: fields by their registry labels, choices by name
(``Country = "Germany"`` for ``"DE"``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tracking.rule_fields import BUILTIN_REGISTRY, Field, FieldRegistry

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


def describe_rule(rule: object, *, registry: FieldRegistry = BUILTIN_REGISTRY) -> str:
    """Render a valid rule on one line; raises ``InvalidRule`` for an invalid one."""
    check_rule(rule, registry=registry)
    assert isinstance(rule, Mapping)  # noqa: S101 - a valid rule is an object
    return _describe(rule, registry, nested=False)


def _describe(node: Mapping[str, Any], registry: FieldRegistry, *, nested: bool) -> str:
    for kind, joiner in (("all", " AND "), ("any", " OR ")):
        if kind in node:
            children = node[kind]
            text = joiner.join(_describe(child, registry, nested=True) for child in children)
            return f"({text})" if nested and len(children) > 1 else text
    if "not" in node:
        inner = node["not"]
        if "segment" in inner:
            return f"not in segment {_literal(inner['segment'])}"
        return f"NOT {_describe(inner, registry, nested=True)}"
    if "segment" in node:
        return f"in segment {_literal(node['segment'])}"
    if "field" in node:
        field = registry.lookup(node["field"])
        assert isinstance(field, Field)  # noqa: S101 - the rule was validated
        return _comparison(field.label, node["op"], _named(field, node["value"]))
    return _comparison(_window_label(node["events"]), node["op"], node["value"])


def _named(field: Field, value: Any) -> Any:
    """Choice values by their names: "DE" reads "Germany"."""
    if isinstance(value, list):
        return [_named(field, item) for item in value]
    label = field.choice_label(value)
    return value if label is None else label


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
