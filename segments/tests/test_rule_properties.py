"""Property tests: valid rules never make validation or evaluation raise, and junk only
ever yields the documented error type."""

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from segments.conditions import (
    EVENT_TYPES,
    Facts,
    InMemoryEventWindows,
    InvalidRule,
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
)
from segments.conditions.language import (
    CONTEXT_FIELD_TYPES,
    CONTEXT_FIELDS,
    EVENT_LEAF_OPS,
    MAX_DEPTH,
    OPS,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NAMES = ["tier", "score", "tags", "rfm", "recency_days", "outdoor", "price", "category", "at"]
SEGMENT_KEYS = ["vip", "outdoor-fans", "churned"]

numbers = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
)
iso_dates = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat()),
)
short_text = st.text(max_size=12)
scalars = st.one_of(short_text, st.booleans(), numbers)
SCALARS_BY_TYPE = {None: scalars, "string": short_text, "number": numbers, "bool": st.booleans()}
OPS_BY_TYPE = {
    None: list(OPS),
    "string": list(OPS),
    "number": [op for op in OPS if op not in ("contains", "startswith")],
    "bool": ["eq", "ne", "exists"],
}


def values_for(op: str, value_type: str | None) -> st.SearchStrategy[Any]:
    if op == "exists":
        return st.booleans()
    if op in ("in", "not_in"):
        return st.lists(SCALARS_BY_TYPE[value_type], min_size=1, max_size=5)
    if op in ("lt", "lte", "gt", "gte"):
        return {"number": numbers, "string": iso_dates}.get(
            value_type, st.one_of(numbers, iso_dates)
        )
    if op == "startswith":
        return st.text(min_size=1, max_size=12)
    return SCALARS_BY_TYPE[value_type]


@st.composite
def field_leaves(draw: st.DrawFn) -> dict:
    namespace = draw(st.sampled_from(["profile", "attributes", "context"]))
    if namespace == "context":
        name = draw(st.sampled_from([*sorted(CONTEXT_FIELDS), "query.q"]))
        value_type = CONTEXT_FIELD_TYPES.get(name, "string")
    else:
        name = ".".join(draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3)))
        value_type = None
    op = draw(st.sampled_from(OPS_BY_TYPE[value_type]))
    return {"field": f"{namespace}.{name}", "op": op, "value": draw(values_for(op, value_type))}


@st.composite
def where_clauses(draw: st.DrawFn) -> dict:
    where = {}
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)):
        ops = draw(st.lists(st.sampled_from(OPS), min_size=1, max_size=2, unique=True))
        where[name] = {op: draw(values_for(op, None)) for op in ops}
    return where


@st.composite
def event_leaves(draw: st.DrawFn) -> dict:
    amount = draw(st.integers(1, 60))
    unit = draw(st.sampled_from("smhdw"))
    spec: dict[str, Any] = {
        "type": draw(st.sampled_from(sorted(EVENT_TYPES))),
        "within": f"{amount}{unit}",
    }
    agg = draw(st.sampled_from([None, "count", "sum", "max", "min"]))
    if agg is not None:
        spec["agg"] = agg
    if agg not in (None, "count"):
        spec["property"] = draw(st.sampled_from(NAMES))
    if draw(st.booleans()):
        spec["where"] = draw(where_clauses())
    op = draw(st.sampled_from(sorted(EVENT_LEAF_OPS)))
    return {"events": spec, "op": op, "value": draw(values_for(op, "number"))}


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
    context = draw(
        st.dictionaries(st.sampled_from(sorted(CONTEXT_FIELDS)), json_values, max_size=6)
    )
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
    assert validate_rule(rule) == []
    assert isinstance(evaluate(rule, the_facts), bool)
    assert compile_rule(rule)(the_facts) is evaluate(rule, the_facts)
    assert isinstance(describe_rule(rule), str)
    referenced_segments(rule)
    uses_context(rule)
    event_windows(rule)


@settings(max_examples=100, deadline=None)
@given(rule=valid_rules, the_facts=visitor_facts())
def test_not_is_the_exact_complement(rule: dict, the_facts: Facts) -> None:
    assume(depth(rule) < MAX_DEPTH)
    assert evaluate({"not": rule}, the_facts) is not evaluate(rule, the_facts)


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
    errors = validate_rule(rule)
    assert all(isinstance(error, RuleError) for error in errors)
    try:
        check_rule(rule)
    except InvalidRule as error:
        assert error.errors == tuple(errors)
    else:
        assert errors == []
        evaluate(rule, Facts())
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
    errors = validate_rule(rule)
    assert all(isinstance(error, RuleError) for error in errors)
    if not errors:
        evaluate(rule, data.draw(visitor_facts()))
        describe_rule(rule)
