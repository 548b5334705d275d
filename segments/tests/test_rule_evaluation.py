"""Evaluation: every op, the missing-value rule, event windows, segment references."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from segments.conditions import (
    EventWindow,
    Facts,
    InMemoryEventWindows,
    InvalidRule,
    PrecomputedEventWindows,
    WhereClause,
    evaluate_segments,
)
from segments.conditions import compile_rule as compile_with
from segments.conditions import evaluate as evaluate_with
from segments.tests.registries import TEST_REGISTRY

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

PROFILE = {
    "rfm": {"recency_days": 3, "frequency": 5, "monetary": 812.5, "label": "loyal"},
    "interest": {"outdoor": 0.8, "outdoor/tents": 0.4},
    "flags": {"cart_abandoned": True, "high_intent": False},
    "counters": {"product_view": 42, "search": "7"},  # a stored string is not a number
    "last_context": {"country": "DE", "city": 10115},
    "last_seen": "2026-11-25T18:30:00Z",
    "first_seen": "2025-01-10",
}
ATTRIBUTES = {
    "tier": "gold",
    "zip": "10115",
    "age": 41,
    "vip": 1,  # stored 1, not true
    "loyalty_tier": "gold",
    "email": None,  # JSON null counts as missing
}
CONTEXT = {
    "device": "mobile",
    "country": "DE",
    "local_hour": 19,
    "logged_in": False,
    "url": "/p/sku-1?ref=mail",
    "query": {"utm_term": "tent"},
}


def facts(**overrides: Any) -> Facts:
    return Facts(**{"profile": PROFILE, "attributes": ATTRIBUTES, "context": CONTEXT, **overrides})


def evaluate(rule: Any, the_facts: Facts) -> bool:
    return evaluate_with(rule, the_facts, registry=TEST_REGISTRY)


def compile_rule(rule: Any) -> Any:
    return compile_with(rule, registry=TEST_REGISTRY)


def check(field: str, op: str, value: Any, the_facts: Facts | None = None) -> bool:
    return evaluate({"field": field, "op": op, "value": value}, the_facts or facts())


# --- ops on present values ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("profile.flags.cart_abandoned", "eq", True, True),
        ("profile.flags.high_intent", "eq", True, False),
        ("attributes.tier", "eq", "gold", True),
        ("attributes.tier", "eq", "Gold", False),
        ("profile.rfm.frequency", "eq", 5, True),
        ("profile.rfm.frequency", "eq", 5.0, True),
        ("profile.rfm.monetary", "ne", 812.5, False),
        ("attributes.tier", "ne", "silver", True),
        ("profile.rfm.recency_days", "lt", 7, True),
        ("profile.rfm.recency_days", "lt", 3, False),
        ("profile.rfm.recency_days", "lte", 3, True),
        ("profile.rfm.recency_days", "gt", 3, False),
        ("profile.rfm.recency_days", "gte", 3, True),
        ("profile.interest.outdoor", "gt", 0.5, True),
        ("profile.interest.outdoor/tents", "gt", 0.5, False),
        ("profile.counters.product_view", "gte", 40, True),
        ("attributes.tier", "in", ["silver", "gold"], True),
        ("attributes.tier", "in", ["silver"], False),
        ("profile.rfm.frequency", "in", [1, 5.0], True),
        ("attributes.tier", "not_in", ["silver"], True),
        ("attributes.tier", "not_in", ["gold"], False),
        ("attributes.tier", "contains", "ol", True),
        ("attributes.tier", "contains", "OL", False),  # case-sensitive
        ("attributes.tier", "startswith", "go", True),
        ("attributes.tier", "startswith", "old", False),
        ("attributes.tier", "exists", True, True),
        ("attributes.tier", "exists", False, False),
        ("attributes.age", "gte", 18, True),
        ("attributes.loyalty_tier", "eq", "gold", True),
        ("profile.rfm.label", "eq", "loyal", True),
        ("profile.last_context.country", "in", ["DE", "AT"], True),
        ("context.device", "in", ["mobile", "tablet"], True),
        ("context.local_hour", "gte", 18, True),
        ("context.logged_in", "eq", False, True),
        ("context.url", "startswith", "/p/", True),
        ("context.query.utm_term", "eq", "tent", True),
    ],
)
def test_ops_on_present_values(field: str, op: str, value: Any, expected: bool) -> None:
    assert check(field, op, value) is expected


# --- typed comparison: mismatched types are false and never raise ------------------


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        # A stored value of another type than the field's (older data, a loose import).
        ("attributes.vip", "eq", True, False),  # 1 is not true
        ("attributes.vip", "ne", True, True),  # present and not equal
        ("profile.counters.search", "gte", 7, False),  # "7" is a string
        ("profile.counters.search", "eq", 7, False),
        ("profile.counters.search", "in", [7], False),
        ("profile.last_context.city", "eq", "10115", False),
        ("profile.last_context.city", "contains", "101", False),  # a number is not text
        ("profile.last_context.city", "startswith", "1", False),
        ("profile.last_context.city", "ne", "Berlin", True),
    ],
)
def test_mismatched_types_are_false(field: str, op: str, value: Any, expected: bool) -> None:
    assert check(field, op, value) is expected


def where(value: Any, op: str, expected: Any) -> bool:
    """An untyped event property (free-form, as ingest keeps them) tested by `where`."""
    one = {"type": "search", "timestamp": NOW, "properties": {"p": value}}
    rule = {
        "events": {"type": "search", "within": "1h", "where": {"p": {op: expected}}},
        "op": "eq",
        "value": 1,
    }
    return evaluate(rule, facts(events=InMemoryEventWindows([one], now=NOW)))


@pytest.mark.parametrize(
    ("value", "op", "expected", "result"),
    [
        ("10115", "eq", 10115, False),  # "10115" is a string
        ("10115", "ne", 10115, True),  # present and not equal
        ("10115", "gt", 100, False),
        ("gold", "lt", 5, False),
        (True, "eq", 1, False),  # true is not 1
        (False, "eq", 0, False),
        (5, "eq", True, False),
        (3, "in", [True, "3"], False),
        (True, "in", [1], False),
        (True, "in", [True], True),
        (True, "gte", 1, False),
        ({"a": 1}, "eq", "x", False),  # an object is never equal to a scalar
        ({"a": 1}, "ne", "x", True),
        ({"frequency": 1}, "contains", "frequency", False),  # objects are not searched
        (["b2b", "newsletter", 7], "contains", "b2b", True),  # list membership
        (["b2b", "newsletter", 7], "contains", "b2", False),  # not a substring
        (["b2b", "newsletter", 7], "contains", 7, True),
        (["b2b", "newsletter", 7], "contains", "7", False),
        (["b2b"], "startswith", "b2b", False),
        ("10115", "contains", 10, False),  # a number is not a substring
        (3, "startswith", "3", False),
        (3, "contains", 3, False),
        ("gold", "lt", "2026-01-01", False),  # not a date
        (3, "lt", "2026-01-01", False),
    ],
)
def test_untyped_event_properties_compare_typed(
    value: Any, op: str, expected: Any, result: bool
) -> None:
    assert where(value, op, expected) is result


# --- dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("profile.last_seen", "gte", "2026-11-25", True),
        ("profile.last_seen", "gt", "2026-11-25", False),  # same UTC day
        ("profile.last_seen", "lt", "2026-11-25T18:30:01Z", True),
        ("profile.last_seen", "lte", "2026-11-25T19:30:00+01:00", True),  # the same instant
        ("profile.last_seen", "lt", "2026-11-25T19:30:00+01:00", False),
        ("profile.first_seen", "lt", "2025-01-10T00:00:01Z", True),  # a date is midnight UTC
        ("profile.first_seen", "gte", "2025-01-10", True),
    ],
)
def test_ordering_with_iso_dates(field: str, op: str, value: Any, expected: bool) -> None:
    assert check(field, op, value) is expected


def test_python_date_objects_compare_like_their_iso_strings() -> None:
    def signed_up(value: Any) -> Facts:
        return Facts(attributes={"signed_up": value})

    at = signed_up(datetime(2026, 11, 25, 23, 30, tzinfo=UTC))
    assert check("attributes.signed_up", "lt", "2026-11-26", at)
    on = signed_up(date(2026, 11, 25))
    assert check("attributes.signed_up", "lt", "2026-11-25T00:00:01Z", on)
    naive = signed_up(datetime(2026, 11, 25, 23, 30))  # noqa: DTZ001 (stored UTC)
    assert check("attributes.signed_up", "gt", "2026-11-25T23:00:00Z", naive)
    edge = signed_up("0001-01-01T00:00:00+01:00")
    assert not check("attributes.signed_up", "lt", "2026-01-01", edge)
    assert not check("attributes.signed_up", "lt", "2026-01-01", signed_up("soon"))


# --- the missing-value rule --------------------------------------------------------


MISSING_FIELDS = {
    "profile.engagement": 1,  # not in the document at all
    "profile.rfm.r": 1,
    "profile.interest.kitchen": 1,
    "profile.last_context.device": "mobile",
    "profile.cart.updated_at": "2020-01-01",
    "attributes.email": "exists only",  # JSON null counts as missing
    "attributes.zip": "x",
    "context.city": "x",
    "context.query.nope": "x",
}


def ops_and_values(field: str, sample: Any) -> list[tuple[str, Any]]:
    """Every op the field takes, with a value of its type."""
    from tracking.rule_fields import NUMBER

    found = TEST_REGISTRY.lookup(field)
    assert not isinstance(found, str), found
    values: dict[str, Any] = {
        "eq": sample,
        "ne": sample,
        "in": [sample],
        "not_in": [sample],
        "contains": "x",
        "startswith": "x",
        "lt": sample,
        "lte": sample,
        # A comparison with the field's lowest bound still fails on a missing value.
        "gt": (found.minimum if found.minimum is not None else -1)
        if found.type == NUMBER
        else sample,
        "gte": sample,
        "exists": True,
    }
    return [(op, values[op]) for op in found.ops]


@pytest.mark.parametrize(
    ("field", "op", "value"),
    [
        (field, op, value)
        for field, sample in MISSING_FIELDS.items()
        for op, value in ops_and_values(field, sample)
    ],
)
def test_a_missing_field_makes_every_op_false(field: str, op: str, value: Any) -> None:
    the_facts = facts(profile={"counters": {}}, attributes={"email": None}, context={})
    assert check(field, op, value, the_facts) is False


@pytest.mark.parametrize("field", MISSING_FIELDS)
def test_a_missing_field_only_satisfies_exists_false(field: str) -> None:
    the_facts = facts(profile={}, attributes={"email": None}, context={})
    assert check(field, "exists", False, the_facts) is True
    positive = {"field": field, "op": "exists", "value": True}
    assert evaluate({"not": positive}, the_facts) is True


def test_empty_facts_are_all_missing() -> None:
    assert evaluate({"field": "profile.rfm.recency_days", "op": "lt", "value": 9}, Facts()) is False
    assert evaluate({"field": "context.device", "op": "exists", "value": False}, Facts()) is True


# --- boolean structure -------------------------------------------------------------


TRUE = {"field": "attributes.tier", "op": "eq", "value": "gold"}
FALSE = {"field": "attributes.tier", "op": "eq", "value": "silver"}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"all": [TRUE]}, True),
        ({"all": [TRUE, TRUE, TRUE]}, True),
        ({"all": [TRUE, FALSE]}, False),
        ({"any": [FALSE]}, False),
        ({"any": [FALSE, FALSE, TRUE]}, True),
        ({"not": TRUE}, False),
        ({"not": {"not": TRUE}}, True),
        ({"any": [{"all": [TRUE, FALSE]}, {"not": FALSE}]}, True),
    ],
)
def test_all_any_not(rule: dict, expected: bool) -> None:
    assert evaluate(rule, facts()) is expected


# --- segments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "membership",
    [
        lambda key: key == "vip",
        {"vip": True, "churned": False},
        {"vip"},
        ["vip"],
    ],
)
def test_segment_membership_forms(membership: Any) -> None:
    given = facts(segments=membership)
    assert evaluate({"segment": "vip"}, given) is True
    assert evaluate({"segment": "churned"}, given) is False
    assert evaluate({"segment": "unknown"}, given) is False
    assert evaluate({"not": {"segment": "vip"}}, given) is False


def test_evaluate_segments_resolves_references_once_in_rule_order() -> None:
    calls: list[str] = []

    def counted(key: str, rule: dict) -> Any:
        compiled = compile_rule(rule)

        def run(the_facts: Facts) -> bool:
            calls.append(key)
            return compiled(the_facts)

        return run

    rules = {
        "outdoor-vip": counted(
            "outdoor-vip", {"all": [{"segment": "outdoor"}, {"segment": "vip"}]}
        ),
        "outdoor": counted(
            "outdoor", {"field": "profile.interest.outdoor", "op": "gt", "value": 0.5}
        ),
        "not-outdoor": counted("not-outdoor", {"not": {"segment": "outdoor"}}),
    }
    members = evaluate_segments(rules, facts(segments={"vip"}))  # vip is a static segment
    assert members == ["outdoor-vip", "outdoor"]
    assert sorted(calls) == ["not-outdoor", "outdoor", "outdoor-vip"]


def test_evaluate_segments_answers_false_inside_a_reference_loop() -> None:
    rules = {
        "a": compile_rule({"any": [{"segment": "b"}, TRUE]}),
        "b": compile_rule({"segment": "a"}),
    }
    assert evaluate_segments(rules, facts()) == ["a"]


# --- event windows -----------------------------------------------------------------


def event(kind: str, minutes_ago: float, **properties: Any) -> dict:
    return {
        "type": kind,
        "timestamp": NOW - timedelta(minutes=minutes_ago),
        "properties": properties,
    }


EVENTS = [
    event("product_view", 0, category="outdoor/tents", price=199.0),
    event("product_view", 10, category="outdoor/boots", price=89.5),
    event("product_view", 59, category="outdoor/tents", price=249),
    event("product_view", 60, category="outdoor/bags", price=40),  # exactly 1h ago: inside
    event("product_view", 60.01, category="outdoor/socks", price=9),  # just outside 1h
    event("product_view", 30, category="kitchen/pans", price=30),
    event("product_view", -1, category="outdoor/future", price=1),  # after now: outside
    event("purchase", 60 * 24 * 2, revenue=300, order_id="o1"),
    event("purchase", 60 * 24 * 200, revenue=250.5, order_id="o2"),
    event("purchase", 60 * 24 * 400, revenue=999, order_id="o3"),  # older than 365d
    event("purchase", 60, revenue="n/a", order_id="o4"),  # non-numeric: skipped
    event("search", 5, query="tent", filters={"brand": "acme"}),
    event("search", 6),
]


def window_value(spec: dict, op: str = "gte", value: Any = 0) -> bool:
    rule = {"events": spec, "op": op, "value": value}
    return evaluate(rule, facts(events=InMemoryEventWindows(EVENTS, now=NOW)))


@pytest.mark.parametrize(
    ("spec", "op", "value"),
    [
        ({"type": "product_view", "within": "1h"}, "eq", 5),
        ({"type": "product_view", "within": "60m"}, "eq", 5),
        ({"type": "product_view", "within": "3599s"}, "eq", 4),
        ({"type": "product_view", "within": "1d"}, "eq", 6),
        ({"type": "product_view", "within": "90s"}, "eq", 1),
        (
            {
                "type": "product_view",
                "where": {"category": {"startswith": "outdoor/"}},
                "within": "1h",
            },
            "eq",
            4,
        ),
        (
            {
                "type": "product_view",
                "where": {"category": {"startswith": "outdoor/"}},
                "within": "1h",
            },
            "gte",
            3,
        ),
        (
            {
                "type": "product_view",
                "where": {"category": {"startswith": "outdoor/"}, "price": {"gte": 50, "lt": 200}},
                "within": "1h",
            },
            "eq",
            2,
        ),
        (
            {
                "type": "product_view",
                "where": {"category": {"in": ["kitchen/pans"]}},
                "within": "1h",
            },
            "eq",
            1,
        ),
        ({"type": "product_view", "where": {"colour": {"exists": False}}, "within": "1h"}, "eq", 5),
        ({"type": "product_view", "where": {"colour": {"ne": "red"}}, "within": "1h"}, "eq", 0),
        ({"type": "search", "where": {"filters.brand": {"eq": "acme"}}, "within": "1h"}, "eq", 1),
        ({"type": "login", "within": "730d"}, "eq", 0),
        ({"type": "purchase", "within": "365d", "agg": "sum", "property": "revenue"}, "eq", 550.5),
        ({"type": "purchase", "within": "365d", "agg": "sum", "property": "revenue"}, "gt", 500),
        ({"type": "purchase", "within": "1d", "agg": "sum", "property": "revenue"}, "eq", 0),
        ({"type": "purchase", "within": "730d", "agg": "max", "property": "revenue"}, "eq", 999),
        ({"type": "purchase", "within": "730d", "agg": "min", "property": "revenue"}, "eq", 250.5),
        ({"type": "product_view", "within": "1h", "agg": "max", "property": "price"}, "eq", 249),
        ({"type": "product_view", "within": "1h", "agg": "min", "property": "price"}, "eq", 30),
        (
            {"type": "purchase", "within": "1h", "agg": "max", "property": "revenue"},
            "exists",
            False,
        ),
        (
            {"type": "purchase", "within": "1h", "agg": "min", "property": "revenue"},
            "exists",
            False,
        ),
        ({"type": "purchase", "within": "3d", "agg": "max", "property": "revenue"}, "exists", True),
        ({"type": "product_view", "within": "1h"}, "in", [4, 5]),
        ({"type": "product_view", "within": "1h"}, "not_in", [4]),
        ({"type": "product_view", "within": "1h"}, "ne", 4),
    ],
)
def test_event_windows(spec: dict, op: str, value: Any) -> None:
    assert window_value(spec, op, value) is True


# --- order lines: a `where` over `items.*` ------------------------------------------------


def order(days_ago: float, *lines: Any, revenue: float = 0) -> dict:
    return event("purchase", 60 * 24 * days_ago, revenue=revenue, items=list(lines))


def line(category: Any, price: Any = 10, quantity: Any = None, **more: Any) -> dict:
    fields = {"product_id": "SKU", "category": category, "price": price, **more}
    if quantity is not None:
        fields["quantity"] = quantity
    return fields


ORDERS = [
    order(1, line("home/lighting", 20, 2), line("kitchen", 5), revenue=45),
    order(10, line("home/lighting", 15, 1), revenue=15),
    order(30, line("kitchen", 7, 3), line("garden", 2.5, 4), revenue=31),
    order(40, revenue=99),  # no lines at all
    event("purchase", 60 * 24 * 50, revenue=12, items="not a list"),
    order(60, "not an object", line("home/lighting", "free"), line(None, 4)),
    order(200, line("home/lighting", 100, 1), revenue=100),  # outside 90d
]


def lines_rule(op: str = "gte", value: Any = 1, **spec: Any) -> bool:
    rule = {"events": {"type": "purchase", "within": "90d", **spec}, "op": op, "value": value}
    return evaluate(rule, facts(events=InMemoryEventWindows(ORDERS, now=NOW)))


LIGHTING = {"items.category": {"eq": "home/lighting"}}


@pytest.mark.parametrize(
    ("spec", "op", "value"),
    [
        # count: orders with at least one matching line
        ({"where": LIGHTING}, "eq", 3),
        ({"where": {"items.category": {"startswith": "home/"}}}, "eq", 3),
        ({"where": {"items.category": {"in": ["garden", "kitchen"]}}}, "eq", 2),
        # one line must pass every items.* test: no lighting line costs under 15
        ({"where": {**LIGHTING, "items.price": {"lt": 15}}}, "eq", 0),
        ({"where": {**LIGHTING, "items.price": {"gte": 15}}}, "eq", 2),
        ({"where": {**LIGHTING, "items.quantity": {"gte": 2}}}, "eq", 1),
        # line and event tests together
        ({"where": {**LIGHTING, "revenue": {"gt": 20}}}, "eq", 1),
        ({"where": {"items.category": {"exists": False}}}, "eq", 1),  # the non-object line
        ({"where": {"items.price": {"exists": True}}}, "eq", 4),
        # sum/max/min of items.<property> over the matching lines of matching orders
        ({"where": LIGHTING, "agg": "sum", "property": "items.line_revenue"}, "eq", 55),
        ({"where": LIGHTING, "agg": "sum", "property": "items.price"}, "eq", 35),
        ({"where": LIGHTING, "agg": "max", "property": "items.line_revenue"}, "eq", 40),
        ({"where": LIGHTING, "agg": "min", "property": "items.price"}, "eq", 15),
        ({"agg": "sum", "property": "items.quantity"}, "eq", 10),  # missing ones count 0
        ({"agg": "sum", "property": "items.line_revenue"}, "eq", 40 + 5 + 15 + 21 + 10 + 4),
        ({"agg": "max", "property": "items.price"}, "eq", 20),
        ({"where": {"items.line_revenue": {"gte": 21}}}, "eq", 2),
        # an order's own property, for orders with a matching line
        ({"where": LIGHTING, "agg": "sum", "property": "revenue"}, "eq", 60),
        (
            {"where": {"items.category": {"eq": "toys"}}, "agg": "max", "property": "items.price"},
            "exists",
            False,
        ),
    ],
)
def test_where_over_order_lines(spec: dict, op: str, value: Any) -> None:
    assert lines_rule(op, value, **spec) is True


def test_line_revenue_is_price_times_quantity() -> None:
    from tracking.rule_fields.builtin import line_revenue

    assert line_revenue({"price": 19.5, "quantity": 3}) == 58.5
    assert line_revenue({"price": 4}) == 4  # a line without a quantity counts once
    assert line_revenue({"price": 4, "quantity": None}) == 4
    assert line_revenue({"price": "4", "quantity": 2}) is None
    assert line_revenue({"price": 4, "quantity": "2"}) is None
    assert line_revenue({"price": True}) is None
    assert line_revenue("not a line") is None


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "gt", "lte", "gte"])
def test_max_of_an_empty_window_is_missing(op: str) -> None:
    spec = {"type": "purchase", "within": "1h", "agg": "max", "property": "revenue"}
    assert window_value(spec, op, 0) is False


def test_counts_and_sums_default_to_zero_without_an_event_source() -> None:
    count = {"events": {"type": "page_view", "within": "7d"}, "op": "eq", "value": 0}
    total = {
        "events": {"type": "purchase", "within": "7d", "agg": "sum", "property": "revenue"},
        "op": "lt",
        "value": 1,
    }
    maximum = {
        "events": {"type": "purchase", "within": "7d", "agg": "max", "property": "revenue"},
        "op": "exists",
        "value": False,
    }
    assert evaluate({"all": [count, total, maximum]}, Facts()) is True


def test_in_memory_windows_are_memoized_per_window() -> None:
    windows = InMemoryEventWindows(EVENTS, now=NOW)
    first = windows.window_value("product_view", (), 3600, "count", None)
    windows._by_type.clear()  # a second ask must not rescan
    assert windows.window_value("product_view", (), 3600, "count", None) == first == 5


def test_windows_that_differ_only_by_true_and_1_are_not_confused() -> None:
    events = [event("click", 1, flag=True), event("click", 2, flag=1), event("click", 3, flag=1)]
    windows = InMemoryEventWindows(events, now=NOW)

    def count(value: Any) -> int | float | None:
        return windows.window_value(
            "click", (WhereClause("flag", "eq", value),), 3600, "count", None
        )

    assert (count(True), count(1), count(True)) == (1, 2, 1)


def test_in_memory_windows_need_aware_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        InMemoryEventWindows([], now=datetime(2026, 1, 1))  # noqa: DTZ001
    naive_event = {"type": "login", "timestamp": datetime(2026, 1, 1), "properties": {}}  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        InMemoryEventWindows([naive_event], now=NOW)


def test_precomputed_windows_answer_by_window_and_refuse_unknown_ones() -> None:
    rule = {
        "events": {"type": "search", "where": {"query": {"eq": "tent"}}, "within": "1h"},
        "op": "gte",
        "value": 2,
    }
    key = EventWindow("search", (WhereClause("query", "eq", "tent"),), 3600, "count", None)
    assert evaluate(rule, facts(events=PrecomputedEventWindows({key: 2}))) is True
    assert evaluate(rule, facts(events=PrecomputedEventWindows({key: 1}))) is False
    with pytest.raises(KeyError, match="not precomputed"):
        evaluate(rule, facts(events=PrecomputedEventWindows({})))


# --- compile_rule ------------------------------------------------------------------


def test_compile_rule_refuses_invalid_rules() -> None:
    with pytest.raises(InvalidRule) as caught:
        compile_rule({"all": [TRUE, {"field": "profile.orders", "op": "like", "value": "a"}]})
    assert caught.value.path == "all[1].op"


def test_compiled_rule_is_reusable_across_visitors() -> None:
    compiled = compile_rule({"field": "context.device", "op": "eq", "value": "mobile"})
    assert compiled(facts()) is True
    assert compiled(facts(context={"device": "desktop"})) is False
    assert compiled(Facts()) is False


def test_api_example_rule() -> None:
    rule = {
        "all": [
            {"field": "profile.flags.cart_abandoned", "op": "eq", "value": True},
            {
                "events": {
                    "type": "product_view",
                    "where": {"category": {"startswith": "outdoor/"}},
                    "within": "1h",
                },
                "op": "gte",
                "value": 3,
            },
            {
                "events": {
                    "type": "purchase",
                    "within": "365d",
                    "agg": "sum",
                    "property": "revenue",
                },
                "op": "gt",
                "value": 500,
            },
            {"field": "context.device", "op": "in", "value": ["mobile", "tablet"]},
            {"not": {"segment": "vip"}},
        ]
    }
    windows = InMemoryEventWindows(EVENTS, now=NOW)
    assert evaluate(rule, facts(events=windows)) is True
    assert evaluate(rule, facts(events=windows, segments={"vip"})) is False
    assert evaluate(rule, facts(events=windows, context={"device": "desktop"})) is False
    assert evaluate(rule, facts()) is False  # no events: no views, no revenue
