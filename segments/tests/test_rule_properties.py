"""Property tests: valid rules never make validation or evaluation raise, and junk only
ever yields the documented error type."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from segments.conditions import (
    Facts,
    InMemoryEventWindows,
    InvalidRule,
    PreparedEventWindows,
    RuleError,
    check_rule,
    compile_rule,
    describe_rule,
    evaluate,
    event_windows,
    find_cycle,
    referenced_segments,
    uses_context,
    validate_rule,
    window_rows,
)
from segments.conditions.language import EVENT_LEAF_OPS, MAX_DEPTH, OPS
from segments.tests.registries import TEST_REGISTRY
from tracking.rule_fields import BEHAVIOUR, BOOLEAN, DATE, NUMBER, Column, Field

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
REGISTRY = TEST_REGISTRY
FIELDS = REGISTRY.concrete_fields()
EVENT_TYPES = sorted(REGISTRY.event_type_names)
# Keys the generated facts use: every part of a registered path, plus a few others.
NAMES = sorted(
    {part for item in FIELDS for part in item.path.split(".")[1:]}
    | {"price", "quantity", "category", "items", "at", "tags"}
)
SEGMENT_KEYS = ["vip", "outdoor-fans", "churned"]

numbers = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
)
iso_dates = st.one_of(
    st.dates(min_value=date(1900, 1, 2), max_value=date(2999, 12, 30)).map(
        lambda day: day.isoformat()
    ),
    st.datetimes(
        min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(UTC)
    ).map(lambda moment: moment.isoformat()),
)
short_text = st.text(max_size=12)
scalars = st.one_of(short_text, st.booleans(), numbers)


def field_values(field: Field) -> st.SearchStrategy[Any]:
    """Valid values of the field: its choices when closed, within its bounds."""
    if field.closed:
        return st.sampled_from([choice.value for choice in field.choices])
    if field.type == NUMBER:
        low = field.minimum if field.minimum is not None else -(10**6)
        high = field.maximum if field.maximum is not None else 10**6
        return st.one_of(
            st.integers(int(low), int(high)),
            st.floats(low, high, allow_nan=False, allow_infinity=False),
        )
    if field.type == BOOLEAN:
        return st.booleans()
    if field.type == DATE:
        return iso_dates
    return short_text


def values_for(op: str, field: Field | None) -> st.SearchStrategy[Any]:
    """Values for `op` on the field (untyped event properties when None)."""
    if op == "exists":
        return st.booleans()
    if op == "startswith" or (op == "contains" and field is not None):
        return st.text(min_size=1, max_size=12)
    if field is None:
        if op in ("in", "not_in"):
            return st.lists(scalars, min_size=1, max_size=5)
        if op in ("lt", "lte", "gt", "gte"):
            return st.one_of(numbers, iso_dates)
        return scalars
    if op in ("in", "not_in"):
        return st.lists(field_values(field), min_size=1, max_size=5)
    return field_values(field)


@st.composite
def field_leaves(draw: st.DrawFn) -> dict:
    field = draw(st.sampled_from(FIELDS))
    if field.path.startswith("context.query."):
        field = REGISTRY.lookup("context.query." + draw(st.sampled_from(NAMES)))
    op = draw(st.sampled_from(field.ops))
    return {"field": field.path, "op": op, "value": draw(values_for(op, field))}


@st.composite
def where_clauses(draw: st.DrawFn) -> dict:
    where = {}
    names = st.sampled_from([*NAMES, "items.category", "items.price", "items.line_revenue"])
    for name in draw(st.lists(names, min_size=1, max_size=3, unique=True)):
        ops = draw(st.lists(st.sampled_from(OPS), min_size=1, max_size=2, unique=True))
        where[name] = {op: draw(values_for(op, None)) for op in ops}
    return where


@st.composite
def event_leaves(draw: st.DrawFn) -> dict:
    amount = draw(st.integers(1, 60))
    unit = draw(st.sampled_from("smhdw"))
    spec: dict[str, Any] = {
        "type": draw(st.sampled_from(EVENT_TYPES)),
        "within": f"{amount}{unit}",
    }
    agg = draw(st.sampled_from([None, "count", "sum", "max", "min"]))
    if agg is not None:
        spec["agg"] = agg
    if agg not in (None, "count"):
        spec["property"] = draw(st.sampled_from([*NAMES, "items.price", "items.line_revenue"]))
    if draw(st.booleans()):
        spec["where"] = draw(where_clauses())
    op = draw(st.sampled_from(sorted(EVENT_LEAF_OPS)))
    return {"events": spec, "op": op, "value": draw(values_for(op, AGGREGATE))}


# An aggregate is an unbounded number (a stand-in field, for `values_for` only).
AGGREGATE = Field("profile.aggregate", NUMBER, "Aggregate", BEHAVIOUR, Column("aggregate"))

leaves = st.one_of(
    field_leaves(),
    event_leaves(),
    st.sampled_from(SEGMENT_KEYS).map(lambda key: {"segment": key}),
)
valid_rules = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(lambda items: {"all": items}),
        st.lists(children, min_size=1, max_size=4).map(lambda items: {"any": items}),
        children.map(lambda child: {"not": child}),
    ),
    max_leaves=25,
)


def depth(node: Any) -> int:
    if "not" in node:
        return 1 + depth(node["not"])
    children = node.get("all") or node.get("any")
    return 1 + max(map(depth, children)) if children else 1


json_values = st.recursive(
    st.one_of(st.none(), scalars, iso_dates),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(NAMES), children, max_size=4),
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.sampled_from(NAMES), json_values, max_size=5)
events = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(sorted(EVENT_TYPES)),
            "timestamp": st.integers(-3600, 86_400 * 30).map(
                lambda ago: NOW - timedelta(seconds=ago)
            ),
            "properties": objects,
        }
    ),
    max_size=15,
)


@st.composite
def visitor_facts(draw: st.DrawFn) -> Facts:
    context = draw(st.dictionaries(st.sampled_from(NAMES), json_values, max_size=6))
    context["query"] = draw(st.one_of(objects, json_values))
    return Facts(
        profile=draw(objects),
        attributes=draw(objects),
        context=context,
        segments=set(draw(st.lists(st.sampled_from(SEGMENT_KEYS)))),
        events=InMemoryEventWindows(draw(events), now=NOW),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=valid_rules, the_facts=visitor_facts())
def test_generated_valid_rules_validate_and_evaluate_without_raising(
    rule: dict, the_facts: Facts
) -> None:
    assume(depth(rule) <= MAX_DEPTH)
    assert validate_rule(rule, registry=REGISTRY) == []
    assert isinstance(evaluate(rule, the_facts, registry=REGISTRY), bool)
    assert compile_rule(rule, registry=REGISTRY)(the_facts) is evaluate(
        rule, the_facts, registry=REGISTRY
    )
    assert isinstance(describe_rule(rule, registry=REGISTRY), str)
    referenced_segments(rule)
    uses_context(rule)
    event_windows(rule)


@settings(max_examples=100, deadline=None)
@given(rule=valid_rules, the_facts=visitor_facts())
def test_not_is_the_exact_complement(rule: dict, the_facts: Facts) -> None:
    assume(depth(rule) < MAX_DEPTH)
    assert evaluate({"not": rule}, the_facts, registry=REGISTRY) is not evaluate(
        rule, the_facts, registry=REGISTRY
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=valid_rules, history=events, later=st.integers(0, 86_400 * 40))
def test_windows_prepared_ahead_agree_with_windows_over_the_events(
    rule: dict, history: list[dict[str, Any]], later: int
) -> None:
    """What a visitor's recent-events cache entry stores per window (built at write time)
    gives every window the value the events give, also when asked later (events age out
    of the window) and for a window it was not built for (answered from the events)."""
    windows = event_windows(rule)
    assume(windows)
    now = NOW + timedelta(seconds=later)
    prepared = PreparedEventWindows(
        {window: n for n, window in enumerate(windows[1:])},
        [window_rows(window, history) for window in windows[1:]],
        lambda: history,
        now=now,
    )
    in_memory = InMemoryEventWindows(history, now=now)
    for window in windows:
        arguments = (
            window.event_type,
            window.where,
            window.within_seconds,
            window.agg,
            window.property_name,
        )
        assert prepared.window_value(*arguments) == in_memory.window_value(*arguments)


RULE_WORDS = [
    "all",
    "any",
    "not",
    "segment",
    "field",
    "events",
    "op",
    "value",
    "type",
    "within",
    "where",
    "agg",
    "property",
    "profile.x",
    "context.device",
    "eq",
    "in",
    "gte",
    "exists",
    "1h",
    "0h",
    "count",
    "sum",
    "purchase",
    "vip",
]
junk_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(RULE_WORDS),
    st.binary(max_size=4),
    st.tuples(st.integers()),
    st.frozensets(st.integers(), max_size=2),
)
junk = st.recursive(
    junk_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(RULE_WORDS), junk_scalars), children, max_size=4),
    ),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(rule=junk)
def test_junk_only_ever_yields_rule_errors(rule: Any) -> None:
    errors = validate_rule(rule, registry=REGISTRY)
    assert all(isinstance(error, RuleError) for error in errors)
    try:
        check_rule(rule, registry=REGISTRY)
    except InvalidRule as error:
        assert error.errors == tuple(errors)
    else:
        assert errors == []
        evaluate(rule, Facts(), registry=REGISTRY)
    referenced_segments(rule)
    uses_context(rule)
    event_windows(rule)
    find_cycle({"a": rule, "b": {"segment": "a"}})


def positions(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) slot in a JSON tree, to plant junk in."""
    slots: list[tuple[Any, Any]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        slots.append((node, key))
        slots.extend(positions(child))
    return slots


@settings(max_examples=250, deadline=None)
@given(rule=valid_rules, data=st.data())
def test_a_valid_rule_with_junk_planted_only_yields_rule_errors(
    rule: dict, data: st.DataObject
) -> None:
    container, key = data.draw(st.sampled_from(positions(rule)))
    container[key] = data.draw(junk)
    errors = validate_rule(rule, registry=REGISTRY)
    assert all(isinstance(error, RuleError) for error in errors)
    if not errors:
        evaluate(rule, data.draw(visitor_facts()), registry=REGISTRY)
        describe_rule(rule, registry=REGISTRY)
