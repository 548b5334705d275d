"""What a rule depends on: segment references, loops, context, event windows."""

from typing import Any

import pytest

from segments.conditions import (
    EventWindow,
    SegmentCycle,
    WhereClause,
    context_fields,
    dependency_order,
    event_windows,
    find_cycle,
    largest_window_seconds,
    referenced_segments,
    uses_context,
)


def seg(key: str) -> dict:
    return {"segment": key}


def refs(*keys: str) -> dict:
    return {"any": [seg(key) for key in keys]} if keys else CONTEXT_FREE


CONTEXT_FREE = {"field": "attributes.loyalty_tier", "op": "eq", "value": "gold"}
ON_MOBILE = {"field": "context.device", "op": "eq", "value": "mobile"}
VIEWS_1H = {
    "events": {
        "type": "product_view",
        "where": {"category": {"startswith": "outdoor/"}},
        "within": "1h",
    },
    "op": "gte",
    "value": 3,
}
REVENUE_365D = {
    "events": {"type": "purchase", "within": "365d", "agg": "sum", "property": "revenue"},
    "op": "gt",
    "value": 500,
}


def test_referenced_segments_are_found_at_any_depth() -> None:
    rule = {"all": [seg("a"), {"not": {"any": [seg("b"), {"all": [seg("a"), CONTEXT_FREE]}]}}]}
    assert referenced_segments(rule) == {"a", "b"}
    assert referenced_segments(CONTEXT_FREE) == frozenset()


@pytest.mark.parametrize("junk", [None, 3, "x", [seg("a")], {"all": "x"}, {"segment": 5}])
def test_walkers_tolerate_unvalidated_input(junk: Any) -> None:
    assert referenced_segments(junk) == frozenset()
    assert uses_context(junk) is False
    assert event_windows(junk) == ()


def test_no_cycle() -> None:
    rules = {"a": refs("b", "c"), "b": refs("c"), "c": refs(), "d": refs("static-only")}
    assert find_cycle(rules) is None
    assert find_cycle({}) is None


@pytest.mark.parametrize(
    ("rules", "cycle"),
    [
        ({"a": refs("a")}, ["a", "a"]),
        ({"a": refs("b"), "b": refs("a")}, ["a", "b", "a"]),
        ({"a": refs("b"), "b": refs("c"), "c": refs("a")}, ["a", "b", "c", "a"]),
        ({"a": refs("x"), "x": refs("y"), "y": refs("x")}, ["x", "y", "x"]),
        ({"a": {"not": {"all": [CONTEXT_FREE, seg("b")]}}, "b": refs("z", "a")}, ["a", "b", "a"]),
    ],
)
def test_cycles_are_reported_as_a_path(rules: dict, cycle: list[str]) -> None:
    assert find_cycle(rules) == cycle


def test_a_long_chain_does_not_recurse() -> None:
    rules = {f"s{i}": refs(f"s{i + 1}") for i in range(5_000)}
    assert find_cycle(rules) is None
    rules["s4999"] = refs("s0")
    cycle = find_cycle(rules)
    assert cycle is not None
    assert cycle[0] == cycle[-1] and len(cycle) == 5_001


def test_dependency_order_puts_references_first() -> None:
    rules = {"a": refs("b", "c"), "b": refs("c"), "c": refs(), "d": refs("a", "static")}
    order = dependency_order(rules)
    assert sorted(order) == ["a", "b", "c", "d"]
    for key, rule in rules.items():
        for target in referenced_segments(rule) & rules.keys():
            assert order.index(target) < order.index(key)


def test_dependency_order_refuses_a_loop() -> None:
    with pytest.raises(SegmentCycle, match="a -> b -> a") as caught:
        dependency_order({"a": refs("b"), "b": refs("a")})
    assert caught.value.cycle == ("a", "b", "a")


def test_context_use_direct_and_through_references() -> None:
    rules = {"mobile": ON_MOBILE, "gold": CONTEXT_FREE, "gold-mobile": refs("gold", "mobile")}
    assert uses_context(ON_MOBILE) is True
    assert uses_context({"not": {"any": [CONTEXT_FREE, ON_MOBILE]}}) is True
    assert uses_context(CONTEXT_FREE) is False
    assert uses_context(seg("mobile")) is False
    assert uses_context(seg("mobile"), rules=rules) is True
    assert uses_context(rules["gold-mobile"], rules=rules) is True
    assert uses_context(seg("gold"), rules=rules) is False
    assert context_fields(
        {"all": [ON_MOBILE, {"field": "context.query.q", "op": "exists", "value": True}]}
    ) == {
        "context.device",
        "context.query.q",
    }


def test_reference_loops_do_not_hang_transitive_walks() -> None:
    rules = {"a": {"all": [seg("b"), VIEWS_1H]}, "b": {"all": [seg("a"), ON_MOBILE]}}
    assert uses_context(seg("a"), rules=rules) is True
    assert largest_window_seconds(seg("b"), rules=rules) == 3600


def test_event_windows_are_normalized_and_deduplicated() -> None:
    same_window_other_spelling = {
        "events": {
            "type": "product_view",
            "within": "60m",
            "where": {"category": {"startswith": "outdoor/"}},
        },
        "op": "lt",
        "value": 10,
    }
    rule = {"any": [VIEWS_1H, REVENUE_365D, same_window_other_spelling, CONTEXT_FREE]}
    assert event_windows(rule) == (
        EventWindow("product_view", (WhereClause("category", "startswith", "outdoor/"),), 3600),
        EventWindow("purchase", (), 365 * 86_400, "sum", "revenue"),
    )
    assert largest_window_seconds(rule) == 365 * 86_400
    assert largest_window_seconds(CONTEXT_FREE) is None


def test_where_clauses_are_sorted_and_lists_become_tuples() -> None:
    spec = {
        "type": "product_view",
        "within": "1d",
        "where": {"price": {"lt": 100, "gte": 10}, "brand": {"in": ["acme", "zen"]}},
    }
    (window,) = event_windows({"events": spec, "op": "gte", "value": 1})
    assert window.where == (
        WhereClause("brand", "in", ("acme", "zen")),
        WhereClause("price", "gte", 10),
        WhereClause("price", "lt", 100),
    )
    hash(window)


def test_windows_through_references() -> None:
    rules = {"buyers": REVENUE_365D}
    assert event_windows({"all": [VIEWS_1H, seg("buyers")]}, rules=rules)[1].agg == "sum"
    assert largest_window_seconds(seg("buyers"), rules=rules) == 365 * 86_400
