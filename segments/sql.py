"""The bulk evaluator: compiles a rule into one SQL condition over visitor profiles.

It reproduces the real-time evaluator's semantics exactly (see
`segments/conditions/operators.py` and `windows.py`): a missing value fails every op but
`exists: false`, equality is typed as in JSON, and every leaf is wrapped so it is plainly
true or false (never SQL NULL), which makes `not` a simple complement. Event windows
become `visitor_id [NOT] IN (SELECT ... GROUP BY visitor_id HAVING ...)` sub-queries,
which PostgreSQL hashes once instead of probing per profile.

Which SQL reads a field comes from the field registry (`tracking.rule_fields`): each
field's `sql` source (a column, a JSON key, an SQL expression per vendor, a timestamp, a
decayed score, a clock-relative flag) maps to one method here. A `where` over order lines
(`items.category`) becomes `EXISTS` over the event's lines (`jsonb_array_elements` on
PostgreSQL, `json_each` on SQLite), inside the one statement of the segment.

Rules whose leaves need the request context cannot be materialized; compiling them
raises `NotMaterializable`, and such segments are evaluated at request time only.
"""

import json
import math
import operator
import string
from collections.abc import Mapping, Sequence
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
from django.db.models.functions import Cast, Coalesce, StrIndex, Substr

from segments.conditions import InvalidRule, RuleError
from segments.conditions.operators import compile_predicate, parse_rule_temporal
from segments.conditions.windows import line_path, window_from_spec
from tracking import decay
from tracking.models import Event, VisitorProfile
from tracking.profile_state import ProfileSettings
from tracking.rule_fields import (
    BUILTIN_REGISTRY,
    DERIVED_LINE_PROPERTIES,
    ClockFlag,
    Column,
    DaysSince,
    DecayedScore,
    Field,
    FieldRegistry,
    JsonKey,
    Timestamp,
    VendorSql,
)
from tracking.rule_fields.paths import split_path


class NotMaterializable(ValueError):
    """The rule needs something only a request has (context), or a comparison SQL can't
    reproduce exactly; the segment is evaluated in real time only."""


ALWAYS = Q(pk__isnull=False)
NEVER = Q(pk__isnull=True)
# Recency bounds beyond this many days all mean "before any stored purchase"; clamping
# keeps `now - days` inside the calendar.
MAX_DAYS_BACK = 700_000


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

    def __init__(self, column: "str | Expression", keys: tuple[str, ...], kind: str):
        output = {
            "type": CharField(),
            "text": CharField(),
            "number": FloatField(),
            "boolean": BooleanField(),
        }[kind]
        super().__init__(output_field=output)
        self.column, self.keys, self.kind = _source(column), tuple(keys), kind

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

    def __init__(self, column: "str | Expression", keys: tuple[str, ...], value: Any):
        super().__init__(output_field=BooleanField())
        self.column, self.keys, self.value = _source(column), tuple(keys), value

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        raise NotSupportedError(f"JSON rule fields are not supported on {connection.vendor}")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
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


def _source(column: "str | Expression") -> Any:
    """A column by name, or an expression (such as the order line being tested)."""
    return F(column) if isinstance(column, str) else column


class VendorExpression(Expression):
    """An `SqlSource.VendorSql` template of the field registry: `{name}` placeholders are
    filled with the given expressions (profile columns, or the order line)."""

    def __init__(self, sql: VendorSql, sources: Mapping[str, Any], output_field: Any):
        super().__init__(output_field=output_field)
        self.sql = sql
        self.names = sorted(sources)
        self.sources = [sources[name] for name in self.names]

    def get_source_expressions(self) -> list[Any]:
        return self.sources

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.sources = list(exprs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        compiled = {
            name: compiler.compile(source)
            for name, source in zip(self.names, self.sources, strict=True)
        }
        parts, params = [], []
        for literal, name, _, _ in string.Formatter().parse(self.sql.for_vendor(connection.vendor)):
            parts.append(literal)
            if name is not None:
                sql, source_params = compiled[name]
                parts.append(f"({sql})")
                params.extend(source_params)
        # Parenthesized whole, so `x IS NOT NULL` stays one operand of the lookup around it.
        return f"({''.join(parts)})", params


def _template_sources(sql: VendorSql) -> set[str]:
    names = set()
    for vendor_sql in (sql.postgresql, sql.sqlite):
        names |= {name for _, name, _, _ in string.Formatter().parse(vendor_sql) if name}
    return names


class LineElement(Expression):
    """The order line being tested inside `AnyLine`/`LineAggregate` (a JSON object)."""

    def __init__(self) -> None:
        super().__init__(output_field=CharField())

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        raise NotSupportedError(f"order-line rules are not supported on {connection.vendor}")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "pz_line.value", []

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        # json_each gives a text element unquoted, which JSON functions cannot parse.
        return "(CASE WHEN pz_line.type = 'object' THEN pz_line.value END)", []


class _OverLines(Expression):
    """SQL over the elements of the list property `list_name` of an event's properties:
    `condition` (a `Q` over `LineElement`) filters them."""

    def __init__(self, list_name: str, condition: Q | None, output_field: Any) -> None:
        super().__init__(output_field=output_field)
        self.list_name = list_name
        self.properties = F("properties")
        self.condition = condition

    def get_source_expressions(self) -> list[Any]:
        return [self.properties, self.condition]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.properties, self.condition = exprs

    def lines(self, compiler: Any, connection: Any) -> tuple[str, str, list[Any]]:
        """(FROM clause, guard condition, params) of the lines."""
        properties, params = compiler.compile(self.properties)
        if connection.vendor == "postgresql":
            lines = (
                f"jsonb_array_elements(CASE WHEN jsonb_typeof({properties} -> %s) = 'array' "
                f"THEN {properties} -> %s END) AS pz_line(value)"
            )
            return lines, "", [*params, self.list_name, *params, self.list_name]
        if connection.vendor == "sqlite":
            path = f'$."{self.list_name}"'
            lines = f"json_each({properties}, %s) AS pz_line"
            guard = f"json_type({properties}, %s) = 'array'"
            return lines, guard, [*params, path, *params, path]
        raise NotSupportedError(f"order-line rules are not supported on {connection.vendor}")

    def where(self, compiler: Any, connection: Any, guard: str) -> tuple[str, list[Any]]:
        tests, params = [guard] if guard else [], []
        if self.condition is not None:
            sql, params = compiler.compile(self.condition)
            tests.append(f"({sql})")
        return (" WHERE " + " AND ".join(tests) if tests else ""), list(params)


class AnyLine(_OverLines):
    """True when some line passes `condition`: "bought from category X"."""

    conditional = True

    def __init__(self, list_name: str, condition: Q) -> None:
        super().__init__(list_name, condition, BooleanField())

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lines, guard, params = self.lines(compiler, connection)
        where, where_params = self.where(compiler, connection, guard)
        return f"EXISTS (SELECT 1 FROM {lines}{where})", [*params, *where_params]  # noqa: S608


class LineAggregate(_OverLines):
    """SUM/MAX/MIN of `value` (an expression over `LineElement`) over the lines passing
    `condition` (every line when None): one event's share of an `items.*` aggregate."""

    def __init__(self, list_name: str, agg: str, value: Any, condition: Q | None) -> None:
        super().__init__(list_name, condition, FloatField())
        self.agg = {"sum": "SUM", "max": "MAX", "min": "MIN"}[agg]
        self.value = value

    def get_source_expressions(self) -> list[Any]:
        return [*super().get_source_expressions(), self.value]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        super().set_source_expressions(exprs[:2])
        self.value = exprs[2]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        value, value_params = compiler.compile(self.value)
        lines, guard, params = self.lines(compiler, connection)
        where, where_params = self.where(compiler, connection, guard)
        sql = f"(SELECT {self.agg}({value}) FROM {lines}{where})"  # noqa: S608
        return sql, [*value_params, *params, *where_params]


@dataclass(frozen=True)
class TypedValue:
    """What a rule path means in SQL. `static_type` is set when the SQL type is fixed (a
    column), else `type_expr` yields the JSON type per row. `present` is when not missing."""

    present: Q
    static_type: str | None = None
    text: Any = None
    number: Any = None
    boolean: Any = None
    json: "tuple[str | Expression, tuple[str, ...]] | None" = None


def _json_value(column: "str | Expression", keys: tuple[str, ...]) -> TypedValue:
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


_OUTPUTS = {"number": FloatField, "string": CharField, "boolean": BooleanField}


def _vendor_value(sql: VendorSql, kind: str, sources: Mapping[str, Any]) -> TypedValue:
    """A registry `VendorSql` expression as a typed value; SQL NULL is missing."""
    expr = VendorExpression(sql, sources, _OUTPUTS[kind]())
    return _expression(expr, kind, _annotated_notnull(expr))


def _line_value(keys: tuple[str, ...]) -> TypedValue:
    """A property of the order line being tested: stored (typed per row) or derived."""
    if len(keys) == 1 and keys[0] in DERIVED_LINE_PROPERTIES:
        _, sql = DERIVED_LINE_PROPERTIES[keys[0]]
        return _vendor_value(sql, "number", {"line": LineElement()})
    return _json_value(LineElement(), keys)


class SqlRuleCompiler:
    """Compiles validated rules to `Q` objects over `VisitorProfile`, at a fixed `now`."""

    def __init__(
        self,
        *,
        now: datetime,
        settings: ProfileSettings,
        rule_segments: Mapping[str, Any],
        materialized_segments: Mapping[str, int],
        registry: FieldRegistry = BUILTIN_REGISTRY,
        visitor_ids: Sequence[str] | None = None,
    ):
        self.now = now
        # Conditions asked only for these visitors (the refresh after an ingest): event
        # windows then aggregate their events alone, not every visitor's in the window.
        self.visitor_ids = visitor_ids
        self.cfg = settings
        self.registry = registry
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
        field = self.registry.lookup(field_name)
        if isinstance(field, str):
            # A stored rule whose field left the registry (e.g. a removed custom attribute).
            raise InvalidRule([RuleError("field", field)])
        return self._read(field, op, expected)

    def _read(self, field: Field, op: str, expected: Any) -> Q:
        source = field.sql
        if source is None:
            raise NotMaterializable(f"{field.path} is only known at request time")
        if isinstance(source, Column):
            return self._compare(
                _column(source.column, field.type, nullable=source.nullable), op, expected
            )
        if isinstance(source, JsonKey):
            return self._compare(_json_value(source.column, source.keys), op, expected)
        if isinstance(source, VendorSql):
            columns = {name: F(name) for name in _template_sources(source)}
            return self._compare(_vendor_value(source, field.type, columns), op, expected)
        if isinstance(source, Timestamp):
            return self._datetime_column(source.column, op, expected)
        if isinstance(source, DaysSince):
            return self._days_since(source.column, op, expected)
        if isinstance(source, DecayedScore):
            return self._decayed(source, op, expected)
        if isinstance(source, ClockFlag):
            return self._flag(source.name, op, expected)
        raise TypeError(f"{field.path}: no SQL for {source!r}")

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

    def _decayed(self, source: DecayedScore, op: str, expected: Any) -> Q:
        """Compare a decayed score with a constant through its stored log2 value."""
        if source.keys:
            stored: Any = JsonPath(source.column, source.keys, "number")
            present = _annotated_notnull(stored)
        else:
            stored = F(source.column)
            present = Q(**{f"{source.column}__isnull": False})
        # Engagement shows 0.0 when nothing was stored; an interest key may be missing.
        always_present = source.zero_when_missing
        half_life_days = {
            "interest": self.cfg.interest_half_life_days,
            "engagement": self.cfg.engagement_half_life_days,
        }[source.half_life]
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

    def _days_since(self, column: str, op: str, expected: Any) -> Q:
        """days = max(now - column, 0) in days; missing while the column is NULL."""
        present = Q(**{f"{column}__isnull": False})
        if op == "exists":
            return present if expected else ~present

        def at(lookup: str, days: float) -> Q:
            return Q(**{f"{column}__{lookup}": self.now - timedelta(days=min(days, MAX_DAYS_BACK))})

        def matches(cmp: str, bound: Any) -> Q:
            if type(bound) not in (int, float):
                return NEVER
            if cmp == "gt":
                return present if bound < 0 else at("lt", bound)
            if cmp == "gte":
                return present if bound <= 0 else at("lte", bound)
            if cmp == "lt":
                return NEVER if bound <= 0 else at("gt", bound)
            if cmp == "lte":
                return NEVER if bound < 0 else at("gte", bound)
            # eq
            if bound < 0:
                return NEVER
            if bound == 0:
                return at("gte", 0)
            return at("exact", bound)

        if op in {"eq", "in"}:
            result = NEVER
            for option in [expected] if op == "eq" else list(expected):
                result |= matches("eq", option)
            return result
        if op in {"ne", "not_in"}:
            positive = self._days_since(column, "eq" if op == "ne" else "in", expected)
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
        else:
            raise TypeError(f"no SQL for the clock flag {name!r}")
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
        if self.visitor_ids is not None:
            events = events.filter(visitor_id__in=self.visitor_ids)
        line_tests: dict[str, Q] = {}
        for clause in window.where:
            through = line_path(clause.property_name)
            if through is None:
                value = _json_value("properties", split_path(clause.property_name))
                events = events.filter(self._compare(value, clause.op, _listed(clause.value)))
            else:
                list_name, keys = through
                test = self._compare(_line_value(keys), clause.op, _listed(clause.value))
                earlier = line_tests.get(list_name)
                line_tests[list_name] = test if earlier is None else earlier & test
        # Some one line passes every test on its list: "bought from category X".
        for list_name, test in line_tests.items():
            events = events.filter(AnyLine(list_name, test))
        if window.agg == "count":
            # COUNT(*), not COUNT(id): the covering (type, timestamp) index answers it alone.
            aggregate: Any = Count("*")
        else:
            target = line_path(window.property_name or "")
            if target is None:
                value = JsonPath("properties", split_path(window.property_name or ""), "number")
            else:
                # Each event's lines (those passing the tests) aggregated first, then events.
                list_name, keys = target
                number = _line_value(keys).number or JsonPath(LineElement(), keys, "number")
                value = LineAggregate(list_name, window.agg, number, line_tests.get(list_name))
            aggregate = {"sum": Sum, "max": Max, "min": Min}[window.agg](value)
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


def members_queryset(compiled: Q) -> QuerySet[VisitorProfile]:
    return VisitorProfile.objects.filter(compiled)


__all__ = ["NotMaterializable", "SqlRuleCompiler", "members_queryset"]
