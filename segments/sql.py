"""The bulk evaluator: compiles a rule into one SQL condition over visitor profiles.

It reproduces the real-time evaluator's semantics exactly (see
`segments/conditions/operators.py` and `windows.py`): a missing value fails every op but
`exists: false`, equality is typed as in JSON, and every leaf is wrapped so it is plainly
true or false (never SQL NULL), which makes `not` a simple complement. Event windows
become `visitor_id [NOT] IN (SELECT ... GROUP BY visitor_id HAVING ...)` sub-queries,
which PostgreSQL hashes once instead of probing per profile.

Rules whose leaves need the request context cannot be materialized; compiling them
raises `NotMaterializable`, and such segments are evaluated at request time only.
"""

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any

from django.db import NotSupportedError
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    Expression,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, StrIndex, Substr

from segments.conditions.operators import compile_predicate, parse_rule_temporal
from segments.conditions.paths import split_path
from segments.conditions.windows import window_from_spec
from tracking import decay
from tracking.models import Event, VisitorProfile
from tracking.profile_state import ProfileSettings


class NotMaterializable(ValueError):
    """The rule needs something only a request has (context), or a comparison SQL can't
    reproduce exactly; the segment is evaluated in real time only."""


ALWAYS = Q(pk__isnull=False)
NEVER = Q(pk__isnull=True)


def _truth(condition: Q) -> Q:
    """A condition that is never SQL NULL: CASE WHEN c THEN true ELSE false END."""
    return Q(
        Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


class JsonPath(Expression):
    """A typed read of `column #> path`: `kind` is "type" (normalized JSON type name, NULL
    when absent or null), "text", "number" or "boolean" (NULL unless of that type)."""

    _PG_TYPES = "NULLIF(jsonb_typeof({value}), 'null')"
    _SQLITE_TYPES = (
        "CASE json_type({column}, %s) WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number' "
        "WHEN 'real' THEN 'number' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' "
        "WHEN 'array' THEN 'array' WHEN 'object' THEN 'object' END"
    )

    def __init__(self, column: str, keys: tuple[str, ...], kind: str):
        output = {
            "type": CharField(),
            "text": CharField(),
            "number": FloatField(),
            "boolean": BooleanField(),
        }[kind]
        super().__init__(output_field=output)
        self.column, self.keys, self.kind = F(column), tuple(keys), kind

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        raise NotSupportedError(f"JSON rule fields are not supported on {connection.vendor}")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.column)
        value = f"({column} #> %s)"
        path = list(self.keys)
        typed = self._PG_TYPES.format(value=value)
        if self.kind == "type":
            return typed, [*params, path]
        text = f"({column} #>> %s)"
        if self.kind == "text":
            return (f"CASE WHEN {typed} = 'string' THEN {text} END", [*params, path, *params, path])
        cast = "double precision" if self.kind == "number" else "boolean"
        wanted = "number" if self.kind == "number" else "boolean"
        return (
            f"CASE WHEN {typed} = '{wanted}' THEN ({text})::{cast} END",
            [*params, path, *params, path],
        )

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.column)
        path = "$" + "".join(f'."{key}"' for key in self.keys)
        if self.kind == "type":
            return self._SQLITE_TYPES.format(column=column), [*params, path]
        kinds = {
            "text": "('text')",
            "number": "('integer', 'real')",
            "boolean": "('true', 'false')",
        }
        return (
            f"CASE WHEN json_type({column}, %s) IN {kinds[self.kind]} "
            f"THEN json_extract({column}, %s) END",
            [*params, path, *params, path],
        )


class JsonArrayContains(Expression):
    """True when the JSON array at `column #> path` holds a scalar typed-equal to `value`."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, keys: tuple[str, ...], value: Any):
        super().__init__(output_field=BooleanField())
        self.column, self.keys, self.value = F(column), tuple(keys), value

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        raise NotSupportedError(f"JSON rule fields are not supported on {connection.vendor}")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        import json

        column, params = compiler.compile(self.column)
        return (
            f"COALESCE(jsonb_typeof({column} #> %s) = 'array' "
            f"AND ({column} #> %s) @> %s::jsonb, false)",
            [*params, list(self.keys), *params, list(self.keys), json.dumps([self.value])],
        )

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.column)
        path = "$" + "".join(f'."{key}"' for key in self.keys)
        value = self.value
        if isinstance(value, bool):
            test, extra = "e.type = %s", ["true" if value else "false"]
        elif isinstance(value, str):
            test, extra = "e.type = 'text' AND e.value = %s", [value]
        else:
            test, extra = "e.type IN ('integer', 'real') AND e.value = %s", [value]
        return (
            f"(json_type({column}, %s) = 'array' AND EXISTS "  # noqa: S608
            f"(SELECT 1 FROM json_each({column}, %s) AS e WHERE {test}))",
            [*params, path, *params, path, *extra],
        )


@dataclass(frozen=True)
class TypedValue:
    """What a rule path means in SQL. `static_type` is set when the SQL type is fixed (a
    column), else `type_expr` yields the JSON type per row. `present` is when not missing."""

    present: Q
    static_type: str | None = None
    text: Any = None
    number: Any = None
    boolean: Any = None
    json: tuple[str, tuple[str, ...]] | None = None
    datetime_column: str | None = None


def _json_value(column: str, keys: tuple[str, ...]) -> TypedValue:
    """A value inside a JSON column; its type is read per row (see `_json_compare`)."""
    return TypedValue(
        present=_annotated_notnull(JsonPath(column, keys, "type")), json=(column, keys)
    )


def _column(name: str, kind: str, *, nullable: bool = True) -> TypedValue:
    present = Q(**{f"{name}__isnull": False}) if nullable else ALWAYS
    attr = {"number": "number", "string": "text", "boolean": "boolean"}[kind]
    # Numbers compare as floats: an integer column must not round a rule's 0.5 to 0.
    column = Cast(F(name), FloatField()) if kind == "number" else F(name)
    return TypedValue(present=present, static_type=kind, **{attr: column})


def _expression(expr: Any, kind: str, present: Q = ALWAYS) -> TypedValue:
    attr = {"number": "number", "string": "text", "boolean": "boolean"}[kind]
    return TypedValue(present=present, static_type=kind, **{attr: expr})


class SqlRuleCompiler:
    """Compiles validated rules to `Q` objects over `VisitorProfile`, at a fixed `now`."""

    def __init__(
        self,
        *,
        now: datetime,
        settings: ProfileSettings,
        rule_segments: Mapping[str, Any],
        materialized_segments: Mapping[str, int],
    ):
        self.now = now
        self.cfg = settings
        self.rule_segments = rule_segments  # key -> effective rule
        self.materialized_segments = materialized_segments  # key -> segment pk
        self._stack: list[str] = []
        self._aliases = 0

    # ---- nodes -------------------------------------------------------------------
    def compile(self, rule: Any) -> Q:
        if "all" in rule:
            return reduce(operator.and_, (self.compile(child) for child in rule["all"]))
        if "any" in rule:
            return reduce(operator.or_, (self.compile(child) for child in rule["any"]))
        if "not" in rule:
            # Only negation needs two-valued leaves: elsewhere SQL NULL already acts as false.
            return ~_truth(self.compile(rule["not"]))
        if "segment" in rule:
            return self._segment(rule["segment"])
        if "field" in rule:
            return self._field(rule["field"], rule["op"], rule["value"])
        return self._events(rule["events"], rule["op"], rule["value"])

    def _segment(self, key: str) -> Q:
        if key in self.rule_segments:
            if key in self._stack:
                return NEVER  # the real-time evaluator answers a loop with False too
            self._stack.append(key)
            try:
                return self.compile(self.rule_segments[key])
            finally:
                self._stack.pop()
        if key in self.materialized_segments:
            from segments.models import SegmentMembership

            members = SegmentMembership.objects.filter(
                segment_id=self.materialized_segments[key], left_at__isnull=True
            ).values("visitor_id")
            return Q(visitor_id__in=members)
        return NEVER

    # ---- field leaves -------------------------------------------------------------
    def _field(self, field_name: str, op: str, expected: Any) -> Q:
        namespace, *path = split_path(field_name)
        if namespace == "context":
            raise NotMaterializable(f"{field_name} is only known at request time")
        if namespace == "attributes":
            return self._compare(_json_value("attributes", tuple(path)), op, expected)
        return self._profile_field(tuple(path), op, expected)

    def _profile_field(self, path: tuple[str, ...], op: str, expected: Any) -> Q:
        head, rest = (path[0], path[1:]) if path else ("", ())
        json_columns = {
            "counters": "counters",
            "attributes": "attributes",
            "last_context": "last_context",
        }
        if head in json_columns and rest:
            return self._compare(_json_value(json_columns[head], rest), op, expected)
        if head == "interest" and len(rest) >= 1:
            if len(rest) > 1:
                return self._compare_missing(op, expected)
            return self._decayed(
                ("interest", rest), None, op, expected, self.cfg.interest_half_life_days
            )
        if head == "engagement" and not rest:
            return self._decayed(
                None, "engagement_log2", op, expected, self.cfg.engagement_half_life_days
            )
        if head == "rfm" and len(rest) == 1:
            return self._rfm(rest[0], op, expected)
        if head == "flags" and len(rest) == 1:
            return self._flag(rest[0], op, expected)
        if head == "cart" and len(rest) == 1 and rest[0] in {"items", "value", "updated_at"}:
            value = {
                "items": _column("cart_items", "number", nullable=False),
                "value": _column("cart_value", "number", nullable=False),
                "updated_at": None,
            }[rest[0]]
            if value is None:
                return self._datetime_column("last_cart_at", op, expected)
            return self._compare(value, op, expected)
        if rest:
            if head in {
                "visitor_id",
                "known",
                "first_seen",
                "last_seen",
                "sessions",
                "events",
                "orders",
                "revenue",
                "average_order_value",
            }:
                return self._compare_missing(op, expected)  # a scalar has no sub-keys
            if head in {
                "counters",
                "interest",
                "rfm",
                "flags",
                "cart",
                "last_context",
                "attributes",
            }:
                raise NotMaterializable(f"profile.{'.'.join(path)} cannot be compiled to SQL")
            return self._compare_missing(op, expected)
        scalars: dict[str, TypedValue] = {
            "visitor_id": _column("visitor_id", "string", nullable=False),
            "known": _expression(_truth(Q(customer_key__isnull=False)), "boolean"),
            "sessions": _column("sessions", "number", nullable=False),
            "events": _column("events_count", "number", nullable=False),
            "orders": _column("orders", "number", nullable=False),
            "revenue": _column("revenue", "number", nullable=False),
            "average_order_value": _expression(
                Case(
                    When(orders__gt=0, then=F("revenue") / Cast("orders", FloatField())),
                    default=Value(0.0),
                    output_field=FloatField(),
                ),
                "number",
            ),
        }
        if head in scalars:
            return self._compare(scalars[head], op, expected)
        if head in {"first_seen", "last_seen"}:
            return self._datetime_column(head, op, expected)
        if head in {"counters", "interest", "rfm", "flags", "cart", "last_context", "attributes"}:
            raise NotMaterializable(f"profile.{head} as a whole cannot be compiled to SQL")
        return self._compare_missing(op, expected)

    def _compare_missing(self, op: str, expected: Any) -> Q:
        return ALWAYS if compile_predicate(op, expected)(None) else NEVER

    # ---- typed comparison -----------------------------------------------------------
    def _compare(self, value: TypedValue, op: str, expected: Any) -> Q:
        if value.json is not None:
            return self._json_compare(value, op, expected)
        return self._static_compare(value, op, expected)

    def _static_compare(self, value: TypedValue, op: str, expected: Any) -> Q:
        kind = value.static_type
        if op == "exists":
            return value.present if expected else ~value.present
        if op in {"ne", "not_in"}:
            positive = self._static_compare(value, "eq" if op == "ne" else "in", expected)
            return value.present & ~_truth(positive)
        if op == "eq":
            return self._static_in(value, kind, [expected])
        if op == "in":
            return self._static_in(value, kind, list(expected))
        if op == "contains":
            if kind == "string" and isinstance(expected, str):
                return value.present & _annotated_gt(StrIndex(value.text, Value(expected)), 0)
            return NEVER
        if op == "startswith":
            if kind == "string" and isinstance(expected, str):
                return value.present & _annotated_eq(Substr(value.text, 1, len(expected)), expected)
            return NEVER
        if isinstance(expected, str):
            return NEVER  # temporal bounds only apply to datetime fields
        if kind != "number" or isinstance(expected, bool):
            return NEVER
        return value.present & _annotated_cmp(value.number, op, expected)

    def _static_in(self, value: TypedValue, kind: str | None, options: list[Any]) -> Q:
        if kind == "string":
            wanted = [v for v in options if type(v) is str]
            return value.present & _annotated_in(value.text, wanted) if wanted else NEVER
        if kind == "number":
            wanted = [v for v in options if type(v) in (int, float)]
            number = Cast(value.number, FloatField())
            return value.present & _annotated_in(number, wanted) if wanted else NEVER
        if kind == "boolean":
            wanted = [v for v in options if type(v) is bool]
            if not wanted:
                return NEVER
            return value.present & _annotated_in(value.boolean, wanted)
        return NEVER

    def _json_compare(self, value: TypedValue, op: str, expected: Any) -> Q:
        assert value.json is not None  # noqa: S101
        column, keys = value.json
        typ = JsonPath(column, keys, "type")

        def is_type(kind: str) -> Q:
            return _annotated_eq(typ, kind)

        present = _annotated_notnull(typ)
        if op == "exists":
            return present if expected else ~present
        if op in {"ne", "not_in"}:
            positive = self._json_compare(value, "eq" if op == "ne" else "in", expected)
            return present & ~_truth(positive)
        if op in {"eq", "in"}:
            options = [expected] if op == "eq" else list(expected)
            result = NEVER
            strings = [v for v in options if type(v) is str]
            numbers = [v for v in options if type(v) in (int, float)]
            booleans = [v for v in options if type(v) is bool]
            if strings:
                result |= is_type("string") & _annotated_in(JsonPath(column, keys, "text"), strings)
            if numbers:
                result |= is_type("number") & _annotated_in(
                    JsonPath(column, keys, "number"), numbers
                )
            if booleans:
                result |= is_type("boolean") & _annotated_in(
                    JsonPath(column, keys, "boolean"), booleans
                )
            return result
        if op == "contains":
            result = NEVER
            if isinstance(expected, str):
                result |= is_type("string") & _annotated_gt(
                    StrIndex(JsonPath(column, keys, "text"), Value(expected)), 0
                )
            result |= is_type("array") & _array_contains(column, keys, expected)
            return result
        if op == "startswith":
            if not isinstance(expected, str):
                return NEVER
            return is_type("string") & _annotated_eq(
                Substr(JsonPath(column, keys, "text"), 1, len(expected)), expected
            )
        if isinstance(expected, str):
            if parse_rule_temporal(expected) is not None:
                raise NotMaterializable("date comparisons on JSON values are real-time only")
            return NEVER
        if isinstance(expected, bool):
            return NEVER
        return is_type("number") & _annotated_cmp(JsonPath(column, keys, "number"), op, expected)

    # ---- derived profile values ------------------------------------------------------
    def _age(self, half_life_days: float) -> float:
        return (self.now - decay.EPOCH).total_seconds() / (half_life_days * 86400.0)

    def _decayed(
        self,
        json: tuple[str, tuple[str, ...]] | None,
        column: str | None,
        op: str,
        expected: Any,
        half_life_days: float,
    ) -> Q:
        """Compare a decayed score with a constant through its stored log2 value."""
        if json is not None:
            stored: Any = JsonPath(json[0], json[1], "number")
            present = _annotated_notnull(stored)
            always_present = False
        else:
            stored = F(column)
            present = Q(**{f"{column}__isnull": False})
            always_present = True  # engagement shows 0.0 when nothing was stored
        age = self._age(half_life_days)

        def bound(threshold: float) -> float:
            return math.log2(threshold) + age

        def positive_compare(cmp: str, threshold: Any) -> Q:
            """The op on a stored (non-zero) score."""
            if type(threshold) not in (int, float):
                return NEVER
            if threshold <= 0:
                return present if cmp in {"gt", "gte"} else NEVER
            return present & _annotated_cmp(stored, cmp, bound(threshold))

        def equals_any(options: list[Any]) -> Q:
            result = NEVER
            for option in options:
                if type(option) in (int, float) and option > 0:
                    result |= present & _annotated_cmp(stored, "eq", bound(option))
            return result

        if op == "exists":
            # engagement is never missing (0.0 without events), an interest key may be
            stored_q = (
                (present if expected else NEVER)
                if always_present
                else (present if expected else ~present)
            )
        elif op in {"eq", "in"}:
            stored_q = equals_any([expected] if op == "eq" else list(expected))
        elif op in {"ne", "not_in"}:
            options = [expected] if op == "ne" else list(expected)
            stored_q = present & ~_truth(equals_any(options))
        elif op in {"lt", "lte", "gt", "gte"}:
            stored_q = positive_compare(op, expected)
        else:
            stored_q = NEVER
        if not always_present:
            return stored_q
        zero_matches = compile_predicate(op, expected)(0.0)
        return stored_q | (~present & (ALWAYS if zero_matches else NEVER))

    def _rfm(self, name: str, op: str, expected: Any) -> Q:
        if name == "recency_days":
            return self._recency(op, expected)
        values = {
            "frequency": _column("orders", "number", nullable=False),
            "monetary": _column("revenue", "number", nullable=False),
            "r": _column("rfm_r", "number"),
            "f": _column("rfm_f", "number"),
            "m": _column("rfm_m", "number"),
            "score": _expression(
                Concat(
                    Cast("rfm_r", CharField()),
                    Cast("rfm_f", CharField()),
                    Cast("rfm_m", CharField()),
                    output_field=CharField(),
                ),
                "string",
                Q(rfm_r__isnull=False),
            ),
            "label": _expression(_rfm_label_expression(), "string", Q(rfm_r__isnull=False)),
        }
        if name not in values:
            return self._compare_missing(op, expected)
        return self._compare(values[name], op, expected)

    def _recency(self, op: str, expected: Any) -> Q:
        """recency_days = max(now - last_purchase_at, 0) in days; missing without purchase."""
        present = Q(last_purchase_at__isnull=False)
        if op == "exists":
            return present if expected else ~present

        def days_ago(days: float) -> datetime:
            return self.now - timedelta(days=days)

        def matches(cmp: str, bound: Any) -> Q:
            if type(bound) not in (int, float):
                return NEVER
            if cmp == "gt":
                return present if bound < 0 else Q(last_purchase_at__lt=days_ago(bound))
            if cmp == "gte":
                return present if bound <= 0 else Q(last_purchase_at__lte=days_ago(bound))
            if cmp == "lt":
                return NEVER if bound <= 0 else Q(last_purchase_at__gt=days_ago(bound))
            if cmp == "lte":
                if bound < 0:
                    return NEVER
                return Q(last_purchase_at__gte=days_ago(bound))
            # eq
            if bound < 0:
                return NEVER
            if bound == 0:
                return Q(last_purchase_at__gte=self.now)
            return Q(last_purchase_at=days_ago(bound))

        if op in {"eq", "in"}:
            result = NEVER
            for option in [expected] if op == "eq" else list(expected):
                result |= matches("eq", option)
            return result
        if op in {"ne", "not_in"}:
            positive = self._recency("eq" if op == "ne" else "in", expected)
            return present & ~_truth(positive)
        if op in {"lt", "lte", "gt", "gte"}:
            return matches(op, expected)
        return NEVER

    def _flag(self, name: str, op: str, expected: Any) -> Q:
        now = self.now
        has_cart = Q(cart_items__gt=0)
        purchased_since_cart = Q(
            last_purchase_at__isnull=False,
            last_cart_at__isnull=False,
            last_purchase_at__gte=F("last_cart_at"),
        )
        if name == "cart_abandoned":
            condition = (
                has_cart
                & Q(last_cart_at__lte=now - self.cfg.cart_abandon_after)
                & ~_truth(purchased_since_cart)
            )
        elif name == "high_intent":
            checkout_pending = Q(checkout_started_at__isnull=False) & (
                Q(last_purchase_at__isnull=True) | Q(checkout_started_at__gt=F("last_purchase_at"))
            )
            threshold = self.cfg.high_intent_engagement
            if threshold > 0:
                engaged = Q(
                    engagement_log2__gte=math.log2(threshold)
                    + self._age(self.cfg.engagement_half_life_days)
                )
            else:
                engaged = ALWAYS
            condition = has_cart & (_truth(checkout_pending) | _truth(engaged))
        elif name == "known":
            condition = Q(customer_key__isnull=False)
        else:
            return self._compare_missing(op, expected)
        return self._compare(_expression(_truth(condition), "boolean"), op, expected)

    def _datetime_column(self, column: str, op: str, expected: Any) -> Q:
        present = Q(**{f"{column}__isnull": False})
        if op == "exists":
            return present if expected else ~present
        if op in {"lt", "lte", "gt", "gte"} and isinstance(expected, str):
            bound = parse_rule_temporal(expected)
            if bound is None:
                return NEVER
            if isinstance(bound, datetime):
                lookup = {"lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte"}[op]
                return Q(**{f"{column}__{lookup}": bound})
            start = datetime.combine(bound, datetime.min.time(), UTC)
            next_day = start + timedelta(days=1)
            lookups = {
                "lt": Q(**{f"{column}__lt": start}),
                "lte": Q(**{f"{column}__lt": next_day}),
                "gt": Q(**{f"{column}__gte": next_day}),
                "gte": Q(**{f"{column}__gte": start}),
            }
            return lookups[op]
        if op in {"lt", "lte", "gt", "gte"}:
            return NEVER  # a datetime is never ordered against a number
        raise NotMaterializable(f"'{op}' on a timestamp is real-time only")

    # ---- event windows ----------------------------------------------------------------
    def _events(self, spec: Mapping[str, Any], op: str, expected: Any) -> Q:
        window = window_from_spec(spec)
        default = 0 if window.agg in {"count", "sum"} else None
        predicate = compile_predicate(op, expected)
        events = Event.objects.filter(
            type=window.event_type,
            timestamp__gte=self.now - timedelta(seconds=window.within_seconds),
            timestamp__lte=self.now,
        )
        for clause in window.where:
            keys = split_path(clause.property_name)
            events = events.filter(
                self._json_compare(
                    _json_value("properties", keys), clause.op, _listed(clause.value)
                )
            )
        if window.agg == "count":
            # COUNT(*), not COUNT(id): the covering (type, timestamp) index answers it alone.
            aggregate: Any = Count("*")
        else:
            number = JsonPath("properties", split_path(window.property_name or ""), "number")
            aggregate = {"sum": Sum, "max": Max, "min": Min}[window.agg](number)
            if window.agg == "sum":
                aggregate = Coalesce(aggregate, Value(0.0), output_field=FloatField())
        grouped = events.order_by().values("visitor_id").annotate(window_value=aggregate)
        matching = self._compare(
            _expression(F("window_value"), "number", Q(window_value__isnull=False)), op, expected
        )
        if predicate(default) and _fails_for_any_count(window.agg, op, expected, predicate):
            # Any event in the window fails the test (count < 1): members are the visitors
            # without one, a plain anti-join (hashed in bulk, index probes for a few).
            return Q(~Exists(events.filter(visitor_id=OuterRef("visitor_id"))))
        if predicate(default):
            # Holds without events: members are visitors with no group failing the test.
            # A correlated NOT EXISTS probes the event index per visitor; NOT IN would
            # degrade to a quadratic re-scan once the sub-query outgrows work_mem.
            failing = grouped.filter(~_truth(matching), visitor_id=OuterRef("visitor_id"))
            return Q(~Exists(failing))
        return Q(visitor_id__in=grouped.filter(matching).values("visitor_id"))


def _fails_for_any_count(agg: str, op: str, expected: Any, predicate: Any) -> bool:
    """Whether a count window's test fails for every count from 1 up (`lt 1`, `lte 0.5`):
    `lt`/`lte` are monotonic, so failing at 1 is failing for all larger counts."""
    return (
        agg == "count"
        and op in {"lt", "lte"}
        and type(expected) in (int, float)
        and not predicate(1)
    )


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# ---- small Q builders over expressions (Django filters on expressions via Q(Exact(...))) ----
def _annotated_cmp(expr: Any, op: str, value: Any) -> Q:
    from django.db.models.lookups import (
        Exact,
        GreaterThan,
        GreaterThanOrEqual,
        LessThan,
        LessThanOrEqual,
    )

    lookup = {
        "lt": LessThan,
        "lte": LessThanOrEqual,
        "gt": GreaterThan,
        "gte": GreaterThanOrEqual,
        "eq": Exact,
    }[op]
    return Q(lookup(expr, Value(value)))


def _annotated_eq(expr: Any, value: Any) -> Q:
    return _annotated_cmp(expr, "eq", value)


def _annotated_gt(expr: Any, value: Any) -> Q:
    return _annotated_cmp(expr, "gt", value)


def _annotated_in(expr: Any, values: list[Any]) -> Q:
    from django.db.models.lookups import In

    return Q(In(expr, values))


def _annotated_notnull(expr: Any) -> Q:
    from django.db.models.lookups import IsNull

    return Q(IsNull(expr, False))


def _array_contains(column: str, keys: tuple[str, ...], expected: Any) -> Q:
    return Q(JsonArrayContains(column, keys, expected))


def _rfm_label_expression() -> Case:
    """SQL mirror of `tracking.rfm.label` (first match wins)."""

    def label(name: str, **lookups: int) -> When:
        return When(Q(**lookups), then=Value(name))

    return Case(
        label("champions", rfm_r__gte=4, rfm_f__gte=4, rfm_m__gte=4),
        label("lapsed_high_value", rfm_r__lte=2, rfm_m__gte=4),
        label("at_risk", rfm_r__lte=2, rfm_f__gte=3),
        label("loyal", rfm_f__gte=3, rfm_r__gte=3),
        label("new", rfm_r__gte=4, rfm_f__lte=2),
        label("hibernating", rfm_r__lte=2),
        When(rfm_r__isnull=False, then=Value("needs_attention")),
        default=Value(None),
        output_field=CharField(),
    )


def members_queryset(compiled: Q) -> QuerySet[VisitorProfile]:
    return VisitorProfile.objects.filter(compiled)


__all__ = ["NotMaterializable", "SqlRuleCompiler", "members_queryset"]
