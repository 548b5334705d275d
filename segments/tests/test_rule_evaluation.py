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
    compile_rule,
    evaluate,
    evaluate_segments,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

PROFILE = {
    "rfm": {"recency_days": 3, "frequency": 5, "monetary": 812.5},
    "interest": {"outdoor": 0.8, "outdoor/tents": 0.4},
    "flags": {"cart_abandoned": True, "churn_risk": False},
    "counters": {"product_view": 42},
    "tier": "gold",
    "tags": ["b2b", "newsletter", 7],
    "email": None,
    "last_seen": "2026-11-25T18:30:00Z",
    "first_seen": "2025-01-10",
    "zip": "10115",
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
    return Facts(
        **{
            "profile": PROFILE,
            "attributes": {"age": 41, "segment_code": "B"},
            "context": CONTEXT,
            **overrides,
        }
    )


def check(field: str, op: str, value: Any, the_facts: Facts | None = None) -> bool:
    return evaluate({"field": field, "op": op, "value": value}, the_facts or facts())


# --- ops on present values ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("profile.flags.cart_abandoned", "eq", True, True),
        ("profile.flags.churn_risk", "eq", True, False),
        ("profile.tier", "eq", "gold", True),
        ("profile.tier", "eq", "Gold", False),
        ("profile.rfm.recency_days", "eq", 3, True),
        ("profile.rfm.recency_days", "eq", 3.0, True),
        ("profile.rfm.monetary", "ne", 812.5, False),
        ("profile.tier", "ne", "silver", True),
        ("profile.rfm.recency_days", "lt", 7, True),
        ("profile.rfm.recency_days", "lt", 3, False),
        ("profile.rfm.recency_days", "lte", 3, True),
        ("profile.rfm.recency_days", "gt", 3, False),
        ("profile.rfm.recency_days", "gte", 3, True),
        ("profile.interest.outdoor", "gt", 0.5, True),
        ("profile.interest.outdoor/tents", "gt", 0.5, False),
        ("profile.counters.product_view", "gte", 40, True),
        ("profile.tier", "in", ["silver", "gold"], True),
        ("profile.tier", "in", ["silver"], False),
        ("profile.rfm.frequency", "in", [1, 5.0], True),
        ("profile.tier", "not_in", ["silver"], True),
        ("profile.tier", "not_in", ["gold"], False),
        ("profile.tags", "contains", "b2b", True),
        ("profile.tags", "contains", "b2", False),  # list membership, not substring
        ("profile.tags", "contains", 7, True),
        ("profile.tags", "contains", "7", False),
        ("profile.tier", "contains", "ol", True),
        ("profile.tier", "contains", "OL", False),  # case-sensitive
        ("profile.zip", "contains", 10, False),  # a number is not a substring
        ("profile.tier", "startswith", "go", True),
        ("profile.tier", "startswith", "old", False),
        ("profile.tier", "exists", True, True),
        ("profile.tier", "exists", False, False),
        ("attributes.age", "gte", 18, True),
        ("attributes.segment_code", "eq", "B", True),
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
        ("profile.zip", "eq", 10115, False),  # "10115" is a string
        ("profile.zip", "ne", 10115, True),  # present and not equal
        ("profile.zip", "gt", 100, False),
        ("profile.tier", "lt", 5, False),
        ("profile.flags.cart_abandoned", "eq", 1, False),  # true is not 1
        ("profile.flags.churn_risk", "eq", 0, False),
        ("profile.rfm.frequency", "eq", True, False),
        ("profile.rfm.recency_days", "in", [True, "3"], False),
        ("profile.flags.cart_abandoned", "in", [1], False),
        ("profile.flags.cart_abandoned", "in", [True], True),
        ("profile.flags.cart_abandoned", "gte", 1, False),
        ("profile.rfm", "eq", "x", False),  # an object is never equal to a scalar
        ("profile.rfm", "ne", "x", True),
        ("profile.rfm", "contains", "frequency", False),  # objects are not searched
        ("profile.tags", "startswith", "b2b", False),
        ("profile.rfm.recency_days", "startswith", "3", False),
        ("profile.rfm.recency_days", "contains", 3, False),
    ],
)
def test_mismatched_types_are_false(field: str, op: str, value: Any, expected: bool) -> None:
    assert check(field, op, value) is expected


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
        ("profile.tier", "lt", "2026-01-01", False),  # not a date
        ("profile.rfm.recency_days", "lt", "2026-01-01", False),
    ],
)
def test_ordering_with_iso_dates(field: str, op: str, value: Any, expected: bool) -> None:
    assert check(field, op, value) is expected


def test_python_date_objects_compare_like_their_iso_strings() -> None:
    profile = {"at": datetime(2026, 11, 25, 23, 30, tzinfo=UTC), "on": date(2026, 11, 25)}
    given = Facts(profile=profile)
    assert check("profile.at", "lt", "2026-11-26", given)
    assert check("profile.on", "lt", "2026-11-25T00:00:01Z", given)
    naive = Facts(profile={"at": datetime(2026, 11, 25, 23, 30)})  # noqa: DTZ001 (stored UTC)
    assert check("profile.at", "gt", "2026-11-25T23:00:00Z", naive)
    edge = Facts(profile={"at": "0001-01-01T00:00:00+01:00"})
    assert not check("profile.at", "lt", "2026-01-01", edge)


# --- the missing-value rule --------------------------------------------------------


MISSING_FIELDS = [
    "profile.nope",
    "profile.email",  # JSON null counts as missing
    "profile.rfm.nope",
    "profile.tier.deeper",
    "profile.tags.0",  # lists are not indexed
    "attributes.nope",
    "context.city",
    "context.query.nope",
]
OPS_AND_VALUES = [
    ("eq", "x"),
    ("ne", "x"),
    ("ne", 0),
    ("lt", 1),
    ("lte", 1),
    ("gt", -1),
    ("gte", "2020-01-01"),
    ("in", ["x", "y"]),
    ("in", [1, 2]),
    ("not_in", ["x"]),
    ("contains", "x"),
    ("startswith", "x"),
    ("exists", True),
]


def is_number_value(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(isinstance(item, int) for item in values)


@pytest.mark.parametrize(
    ("field", "op", "value"),
    [
        (field, op, value)
        for field in MISSING_FIELDS
        for op, value in OPS_AND_VALUES
        # context fields here are strings, so validation refuses numbers for them
        if not (field.startswith("context.") and is_number_value(value))
    ],
)
def test_a_missing_field_makes_every_op_false(field: str, op: str, value: Any) -> None:
    assert check(field, op, value) is False


@pytest.mark.parametrize("field", MISSING_FIELDS)
def test_a_missing_field_only_satisfies_exists_false(field: str) -> None:
    assert check(field, "exists", False) is True
    assert evaluate({"not": {"field": field, "op": "eq", "value": "x"}}, facts()) is True


def test_empty_facts_are_all_missing() -> None:
    assert evaluate({"field": "profile.rfm.recency_days", "op": "lt", "value": 9}, Facts()) is False
    assert evaluate({"field": "context.device", "op": "exists", "value": False}, Facts()) is True


# --- boolean structure -------------------------------------------------------------


TRUE = {"field": "profile.tier", "op": "eq", "value": "gold"}
FALSE = {"field": "profile.tier", "op": "eq", "value": "silver"}


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
        compile_rule({"all": [TRUE, {"field": "profile.x", "op": "like", "value": "a"}]})
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
