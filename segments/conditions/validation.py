"""Validate a rule's canonical JSON form, naming each failing node by its path.

``validate_rule`` accepts any Python value and never raises: hostile input is bounded
by the limits in ``language`` (depth, node count, list and string lengths), and work
stops after ``MAX_ERRORS`` errors. Fields are checked against the field registry: an
unknown field, an op the field does not take, a value of the wrong type, outside the
field's choices or bounds, or a date out of range is an error naming the node.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from tracking.rule_fields import (
    BOOLEAN,
    BUILTIN_REGISTRY,
    DATE,
    FIELD_PART,
    NUMBER,
    STRING,
    Field,
    FieldRegistry,
)

from .durations import InvalidDuration, parse_duration
from .errors import InvalidRule, RuleError
from .language import (
    AGGREGATES,
    EARLIEST_RULE_DATE,
    EVENT_LEAF_OPS,
    EVENT_SPEC_KEYS,
    LATEST_RULE_DATE,
    LIST_OPS,
    MAX_DEPTH,
    MAX_ERRORS,
    MAX_FIELD_LENGTH,
    MAX_LIST_LENGTH,
    MAX_NODES,
    MAX_SAFE_INTEGER,
    MAX_SEGMENT_KEY_LENGTH,
    MAX_STRING_LENGTH,
    MAX_WHERE_PROPERTIES,
    NODE_KEYS,
    NODE_KINDS,
    OPS,
    ORDERING_OPS,
    SEGMENT_KEY,
)
from .operators import parse_rule_temporal


def validate_rule(rule: object, *, registry: FieldRegistry = BUILTIN_REGISTRY) -> list[RuleError]:
    """Return every problem in ``rule`` (empty when valid); never raises. ``registry``
    says which fields and event types exist (the built-in ones unless given)."""
    validator = _RuleValidator(registry)
    try:
        validator.check_node(rule, "", depth=1)
    except _StopValidating:
        pass
    return validator.errors


def check_rule(rule: object, *, registry: FieldRegistry = BUILTIN_REGISTRY) -> None:
    """Raise ``InvalidRule`` (carrying path and reason) unless ``rule`` is valid."""
    errors = validate_rule(rule, registry=registry)
    if errors:
        raise InvalidRule(errors)


class _StopValidating(Exception):
    """Raised internally once a limit makes further checking pointless."""


def _key(path: str, key: object) -> str:
    name = key if isinstance(key, str) else repr(key)
    return f"{path}.{name}" if path else name


def _describe_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# How a type is named in errors ("expected a number, got a string").
_TYPE_NAMES = {STRING: "text", NUMBER: "a number", BOOLEAN: "true or false", DATE: "a date"}
# Closed choices longer than this are not all listed in an error.
_CHOICES_LISTED = 12


def _choice_hint(field: Field, value: object) -> str:
    """A near miss among the field's choices: a code in the wrong case, or a name."""
    if not isinstance(value, str):
        return ""
    wanted = value.strip().casefold()
    for choice in field.choices:
        if wanted in (str(choice.value).casefold(), choice.label.casefold()):
            return f"; did you mean {choice.value!r} ({choice.label})?"
    return ""


class _RuleValidator:
    def __init__(self, registry: FieldRegistry) -> None:
        self.registry = registry
        self.event_types = registry.event_type_names
        self.errors: list[RuleError] = []
        self.nodes = 0

    def error(self, path: str, reason: str) -> None:
        self.errors.append(RuleError(path, reason))
        if len(self.errors) >= MAX_ERRORS:
            raise _StopValidating

    # --- nodes -----------------------------------------------------------------

    def check_node(self, node: object, path: str, *, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.error(path, f"the rule has more than {MAX_NODES} conditions")
            raise _StopValidating
        if depth > MAX_DEPTH:
            self.error(path, f"conditions are nested more than {MAX_DEPTH} levels deep")
            return
        if not isinstance(node, dict):
            self.error(path, f"expected a condition object, got {_describe_type(node)}")
            return
        kinds = [kind for kind in NODE_KINDS if kind in node]
        if len(kinds) != 1:
            if kinds:
                found = ", ".join(kinds)
                self.error(path, f"a condition has exactly one of its kinds, found {found}")
            else:
                self.error(path, "expected one of: all, any, not, segment, field, events")
            return
        kind = kinds[0]
        for key in node:
            if key not in NODE_KEYS[kind]:
                self.error(_key(path, key), f"unknown key in a {kind} condition")
        if kind in ("all", "any"):
            self.check_group(node[kind], _key(path, kind), depth=depth)
        elif kind == "not":
            self.check_node(node["not"], _key(path, "not"), depth=depth + 1)
        elif kind == "segment":
            self.check_segment_key(node["segment"], _key(path, "segment"))
        elif kind == "field":
            self.check_field_leaf(node, path)
        else:
            self.check_events_leaf(node, path)

    def check_group(self, children: object, path: str, *, depth: int) -> None:
        if not isinstance(children, list):
            self.error(path, f"expected a list of conditions, got {_describe_type(children)}")
            return
        if not children:
            self.error(path, "needs at least one condition")
            return
        for index, child in enumerate(children):
            self.check_node(child, f"{path}[{index}]", depth=depth + 1)

    def check_segment_key(self, key: object, path: str) -> None:
        if not isinstance(key, str):
            self.error(path, f"expected a segment key string, got {_describe_type(key)}")
        elif len(key) > MAX_SEGMENT_KEY_LENGTH or not SEGMENT_KEY.fullmatch(key):
            self.error(
                path,
                "a segment key is 1 to 100 letters, digits, '-' or '_', "
                "starting with a letter or digit",
            )

    def check_field_leaf(self, node: dict[str, Any], path: str) -> None:
        field = self.check_field_name(node["field"], _key(path, "field"))
        allowed = frozenset(field.ops) if field else frozenset(OPS)
        op = self.check_op(node, path, allowed=allowed, field=field)
        if op is not None:
            self.check_value(node, path, op, field=field)

    def check_events_leaf(self, node: dict[str, Any], path: str) -> None:
        self.check_event_spec(node["events"], _key(path, "events"))
        op = self.check_op(node, path, allowed=EVENT_LEAF_OPS)
        if op is not None:
            self.check_value(node, path, op, expected_type=NUMBER)

    def check_op(
        self,
        node: dict[str, Any],
        path: str,
        *,
        allowed: frozenset[str],
        field: Field | None = None,
    ) -> str | None:
        op_path = _key(path, "op")
        if "op" not in node:
            self.error(op_path, "missing: every comparison needs an op")
            return None
        op = node["op"]
        if not isinstance(op, str) or op not in OPS:
            self.error(op_path, f"unknown op; use one of: {', '.join(OPS)}")
            return None
        if op not in allowed:
            choices = ", ".join(sorted(allowed))
            if field is None:
                self.error(op_path, f"{op} does not apply here; use one of: {choices}")
            elif field.type == BOOLEAN:
                self.error(op_path, f"{field.path} is true or false: use {choices}")
            else:
                kind = _TYPE_NAMES[field.type]
                self.error(
                    op_path, f"{field.path} is {kind}: {op} does not apply; use one of: {choices}"
                )
            return None
        return op

    def check_value(
        self,
        node: dict[str, Any],
        path: str,
        op: str,
        *,
        field: Field | None = None,
        expected_type: str | None = None,
    ) -> None:
        value_path = _key(path, "value")
        if "value" not in node:
            self.error(value_path, "missing: every comparison needs a value")
            return
        if field is not None:
            expected_type = field.type
        self.check_op_value(op, node["value"], value_path, expected_type=expected_type, field=field)

    # --- fields ----------------------------------------------------------------

    def check_field_name(self, name: object, path: str) -> Field | None:
        """The registered field named ``name``, or None after reporting why it is not."""
        if not isinstance(name, str):
            self.error(path, f"expected a field name string, got {_describe_type(name)}")
            return None
        if len(name) > MAX_FIELD_LENGTH:
            self.error(path, f"field names are at most {MAX_FIELD_LENGTH} characters")
            return None
        if not name:
            self.error(path, "missing: choose the field to compare")
            return None
        found = self.registry.lookup(name)
        if isinstance(found, str):
            self.error(path, found)
            return None
        return found

    # --- values ----------------------------------------------------------------

    def check_op_value(
        self,
        op: str,
        value: object,
        path: str,
        *,
        expected_type: str | None,
        field: Field | None = None,
    ) -> None:
        if op == "exists":
            if not isinstance(value, bool):
                self.error(path, f"exists takes true or false, got {_describe_type(value)}")
        elif op in LIST_OPS:
            self.check_list_value(op, value, path, expected_type=expected_type, field=field)
        elif op in ORDERING_OPS:
            self.check_ordering_value(op, value, path, expected_type=expected_type, field=field)
        elif op == "startswith" or (op == "contains" and field is not None):
            # Text ops on a field take text; `contains` on an untyped event property may
            # also test a list for a number or boolean (below).
            if not isinstance(value, str) or not value:
                self.error(path, f"{op} takes a non-empty string, got {_describe_type(value)}")
            else:
                self.check_string_length(value, path)
        else:
            self.check_scalar(op, value, path, expected_type=expected_type, field=field)

    def check_scalar(
        self,
        op: str,
        value: object,
        path: str,
        *,
        expected_type: str | None,
        field: Field | None = None,
    ) -> bool:
        if value is None:
            self.error(path, f"{op} needs a value; to test for a missing value use exists")
            return False
        if not isinstance(value, str | bool | int | float):
            self.error(path, f"{op} takes a string, number or boolean, got {_describe_type(value)}")
            return False
        if not self.check_type(value, path, expected_type):
            return False
        if isinstance(value, str):
            if not self.check_string_length(value, path):
                return False
        elif not self.check_number_range(value, path, field=field):
            return False
        return self.check_choice(value, path, field)

    def check_type(self, value: object, path: str, expected_type: str | None) -> bool:
        is_bool = isinstance(value, bool)
        matches = {
            None: True,
            STRING: isinstance(value, str),
            BOOLEAN: is_bool,
            NUMBER: isinstance(value, int | float) and not is_bool,
        }.get(expected_type, False)
        if not matches:
            self.error(path, f"expected {expected_type}, got {_describe_type(value)}")
        return matches

    def check_choice(self, value: object, path: str, field: Field | None) -> bool:
        if field is None or not field.closed or field.choice_label(value) is not None:
            return True
        if len(field.choices) <= _CHOICES_LISTED:
            listed = ", ".join(repr(choice.value) for choice in field.choices)
            where = f"use one of: {listed}"
        else:
            sample = ", ".join(repr(choice.value) for choice in field.choices[:3])
            where = f"use one of its {len(field.choices)} codes, such as {sample}"
        hint = _choice_hint(field, value)
        self.error(path, f"{value!r} is not a choice of {field.path}{hint or '; ' + where}")
        return False

    def check_list_value(
        self,
        op: str,
        value: object,
        path: str,
        *,
        expected_type: str | None,
        field: Field | None = None,
    ) -> None:
        if not isinstance(value, list) or not value:
            self.error(path, f"{op} takes a non-empty list, got {_describe_type(value)}")
            return
        if len(value) > MAX_LIST_LENGTH:
            self.error(path, f"lists hold at most {MAX_LIST_LENGTH} values")
            return
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if not self.check_scalar(op, item, item_path, expected_type=expected_type, field=field):
                return

    def check_ordering_value(
        self,
        op: str,
        value: object,
        path: str,
        *,
        expected_type: str | None,
        field: Field | None = None,
    ) -> None:
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and expected_type in (None, NUMBER)
        ):
            self.check_number_range(value, path, field=field)
            return
        if expected_type in (None, DATE) and isinstance(value, str):
            if len(value) <= MAX_STRING_LENGTH and parse_rule_temporal(value) is not None:
                self.check_date_range(value, path)
                return
        wanted = {NUMBER: "a number", DATE: "an ISO date"}.get(
            expected_type or "", "a number or an ISO date"
        )
        self.error(
            path,
            f"{op} takes {wanted} (2026-11-26 or 2026-11-26T10:00:00Z), "
            f"got {_describe_type(value)}",
        )

    def check_date_range(self, value: str, path: str) -> bool:
        moment = parse_rule_temporal(value)
        try:
            day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
        except OverflowError:  # year 1 or 9999 shifted past the calendar's edge
            day = None
        if not isinstance(day, date) or not EARLIEST_RULE_DATE <= day <= LATEST_RULE_DATE:
            self.error(
                path,
                f"dates lie between {EARLIEST_RULE_DATE.isoformat()} and "
                f"{LATEST_RULE_DATE.isoformat()} (UTC)",
            )
            return False
        return True

    def check_string_length(self, value: str, path: str) -> bool:
        if len(value) > MAX_STRING_LENGTH:
            self.error(path, f"strings are at most {MAX_STRING_LENGTH} characters")
            return False
        return True

    def check_number_range(
        self, value: int | float, path: str, *, field: Field | None = None
    ) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            self.error(path, "numbers must be finite")
            return False
        if abs(value) > MAX_SAFE_INTEGER:
            # Said in digits: 2**53 itself means nothing to whoever typed the number.
            self.error(path, "this number is too large: use at most 15 digits")
            return False
        if field is None:
            return True
        low, high = field.minimum, field.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            unit = f" {field.unit}" if field.unit else ""
            if high is None:
                bounds = f"at least {low:g}"
            elif low is None:
                bounds = f"at most {high:g}"
            else:
                bounds = f"from {low:g} to {high:g}"
            self.error(path, f"{field.path} is {bounds}{unit}, got {value!r}")
            return False
        return True

    # --- event windows ---------------------------------------------------------

    def check_event_spec(self, spec: object, path: str) -> None:
        if not isinstance(spec, dict):
            self.error(path, f"expected an object with type and within, got {_describe_type(spec)}")
            return
        for key in spec:
            if key not in EVENT_SPEC_KEYS:
                self.error(_key(path, key), "unknown key in events")
        self.check_event_type(spec, path)
        self.check_within(spec, path)
        self.check_aggregate(spec, path)
        if "where" in spec:
            self.check_where(spec["where"], _key(path, "where"))

    def check_event_type(self, spec: dict[str, Any], path: str) -> None:
        type_path = _key(path, "type")
        if "type" not in spec:
            self.error(type_path, "missing: which event type to look at")
        elif not isinstance(spec["type"], str) or spec["type"] not in self.event_types:
            choices = ", ".join(sorted(self.event_types))
            self.error(type_path, f"unknown event type; use one of: {choices}")

    def check_within(self, spec: dict[str, Any], path: str) -> None:
        within_path = _key(path, "within")
        if "within" not in spec:
            self.error(within_path, 'missing: how far back to look, such as "30m" or "7d"')
            return
        try:
            parse_duration(spec["within"])
        except InvalidDuration as error:
            self.error(within_path, str(error))

    def check_aggregate(self, spec: dict[str, Any], path: str) -> None:
        agg = spec.get("agg", "count")
        if not isinstance(agg, str) or agg not in AGGREGATES:
            self.error(_key(path, "agg"), f"unknown aggregate; use one of: {', '.join(AGGREGATES)}")
            return
        property_path = _key(path, "property")
        if agg == "count":
            if "property" in spec:
                self.error(property_path, "only sum, max and min take a property")
        elif "property" not in spec:
            self.error(property_path, f"missing: {agg} needs the numeric property to {agg}")
        else:
            self.check_property_name(spec["property"], property_path)

    def check_property_name(self, name: object, path: str) -> bool:
        if not isinstance(name, str):
            self.error(path, f"expected a property name string, got {_describe_type(name)}")
            return False
        parts = name.split(".")
        if len(name) > MAX_FIELD_LENGTH or not all(FIELD_PART.fullmatch(part) for part in parts):
            self.error(path, f"{name[:40]!r} is not a property name (dotted for nested ones)")
            return False
        return True

    def check_where(self, where: object, path: str) -> None:
        if not isinstance(where, dict) or not where:
            got = _describe_type(where)
            self.error(path, f"expected an object of property -> {{op: value}}, got {got}")
            return
        if len(where) > MAX_WHERE_PROPERTIES:
            self.error(path, f"where tests at most {MAX_WHERE_PROPERTIES} properties")
            return
        for name, tests in where.items():
            property_path = _key(path, name)
            if not self.check_property_name(name, property_path):
                continue
            if not isinstance(tests, dict) or not tests:
                got = _describe_type(tests)
                self.error(property_path, f"expected an object of op -> value, got {got}")
                continue
            for op, value in tests.items():
                if not isinstance(op, str) or op not in OPS:
                    self.error(_key(property_path, op), f"unknown op; use one of: {', '.join(OPS)}")
                    continue
                # Event properties are free-form (`$entry.` values of triggers too): untyped.
                self.check_op_value(op, value, _key(property_path, op), expected_type=None)
