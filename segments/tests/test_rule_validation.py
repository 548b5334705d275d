"""Every way a rule can be invalid names the failing node's path and a reason."""

import json
from typing import Any

import pytest

from segments.conditions import InvalidRule, check_rule, validate_rule
from segments.conditions.language import (
    MAX_DEPTH,
    MAX_ERRORS,
    MAX_LIST_LENGTH,
    MAX_NODES,
    MAX_STRING_LENGTH,
)
from segments.tests.registries import TEST_REGISTRY
from tracking.rule_fields import BUILTIN_REGISTRY

API_EXAMPLE = {
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
            "events": {"type": "purchase", "within": "365d", "agg": "sum", "property": "revenue"},
            "op": "gt",
            "value": 500,
        },
        {"field": "context.device", "op": "in", "value": ["mobile", "tablet"]},
        {"not": {"segment": "vip"}},
    ]
}


RECENCY = "profile.rfm.recency_days"


def paths(rule: Any, **kwargs: Any) -> list[str]:
    return [error.path for error in validate_rule(rule, **kwargs)]


def field(name: str = "profile.orders", op: str = "lt", value: Any = 30) -> dict:
    return {"field": name, "op": op, "value": value}


def window(op: str = "gte", value: Any = 1, **spec: Any) -> dict:
    return {"events": {"type": "page_view", "within": "1d", **spec}, "op": op, "value": value}


# --- valid rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        API_EXAMPLE,
        json.loads(json.dumps(API_EXAMPLE)),
        field(),
        {"segment": "vip"},
        {"not": {"not": {"segment": "a_b-1"}}},
        {
            "any": [
                field("attributes.loyalty_tier", "eq", "gold"),
                field("profile.orders", "gte", 2),
            ]
        },
        field("profile.interest.outdoor/tents", "gt", 0.5),
        field("profile.counters.purchase", "gte", 2),
        field("profile.rfm.label", "in", ["champions", "loyal"]),
        field("profile.last_context.country", "not_in", ["DE", "AT"]),
        field("attributes.email", "exists", False),
        field("context.country", "eq", "DE"),
        field("context.locale", "startswith", "de"),
        field("context.query.utm_term", "eq", "boots"),
        field("context.local_hour", "in", [18, 19, 20]),
        field("context.local_weekday", "gte", 6),
        field("context.logged_in", "eq", True),
        field("context.url", "startswith", "/p/"),
        field("context.path", "contains", "sale"),
        field("profile.last_seen", "gte", "2026-11-01"),
        field("profile.last_seen", "lt", "2026-11-26T10:00:00Z"),
        field("profile.last_seen", "lt", "2026-11-26T10:00:00+01:00"),
        field("profile.first_seen", "gte", "1900-01-01"),
        field("profile.cart.updated_at", "lt", "2999-12-31T23:59:59Z"),
        field("profile.engagement", "gte", 2.5),
        window(agg="max", property="price", op="gte", value=100),
        window(type="purchase", where={"items.category": {"eq": "home/lighting"}}),
        window(
            type="purchase",
            where={"items.category": {"startswith": "home/"}, "items.price": {"gte": 5}},
            agg="sum",
            property="items.line_revenue",
            op="gt",
            value=100,
        ),
        window(agg="min", property="cart.total", op="exists", value=True),
        window(op="in", value=[1, 2, 3]),
        window(where={"price": {"gte": 10, "lt": 100}, "brand": {"in": ["acme"]}}),
    ],
)
def test_valid_rules_have_no_errors(rule: Any) -> None:
    assert validate_rule(rule) == []
    check_rule(rule)


# --- node shapes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "path", "reason"),
    [
        (None, "", "expected a condition object, got null"),
        ([field()], "", "expected a condition object, got a list"),
        ("all", "", "expected a condition object"),
        ({}, "", "expected one of"),
        ({"all": [field()], "any": [field()]}, "", "found all, any"),
        ({"all": field()}, "all", "expected a list of conditions"),
        ({"all": []}, "all", "at least one condition"),
        ({"any": []}, "any", "at least one condition"),
        ({"all": [field(), 3]}, "all[1]", "expected a condition object, got a number"),
        ({"any": [{"not": "x"}]}, "any[0].not", "expected a condition object"),
        ({"not": [field()]}, "not", "got a list"),
        ({"segment": 7}, "segment", "expected a segment key string"),
        ({"segment": ""}, "segment", "a segment key is"),
        ({"segment": "has space"}, "segment", "a segment key is"),
        ({"segment": "-leading"}, "segment", "a segment key is"),
        ({"segment": "x" * 101}, "segment", "a segment key is"),
    ],
)
def test_node_shape_errors(rule: Any, path: str, reason: str) -> None:
    errors = validate_rule(rule)
    assert [error.path for error in errors] == [path]
    assert reason in errors[0].reason


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ({"all": [field()], "label": "x"}, "label"),
        ({"any": [field()], "note": 1}, "note"),
        ({"not": field(), "why": 1}, "why"),
        ({"segment": "vip", "weight": 2}, "weight"),
        ({**field(), "negate": True}, "negate"),
        ({**window(), "field": "profile.orders"}, ""),  # two kinds is a shape error
        ({**window(), "extra": 1}, "extra"),
        (window(window="1h"), "events.window"),
        ({"all": [{"any": [{**field(), "colour": "red"}]}]}, "all[0].any[0].colour"),
        ({"all": [field(), {1: "x", **field()}]}, "all[1].1"),
    ],
)
def test_unknown_keys_are_errors(rule: Any, path: str) -> None:
    assert paths(rule) == [path]


# --- field leaves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leaf", "reason"),
    [
        (field(name=3), "expected a field name string"),
        (field(name="rfm.recency_days"), "starts with profile., attributes. or context."),
        (field(name="profile"), "not a dotted field path"),
        (field(name="profile."), "not a dotted field path"),
        (field(name="profile..x"), "not a dotted field path"),
        (field(name="profile.a b"), "not a dotted field path"),
        (field(name="profile." + "a" * 200), "at most 200 characters"),
        (field(name="profile.foo"), "unknown field profile.foo"),
        (field(name="profile.rfm.recency_day"), "did you mean profile.rfm.recency_days?"),
        (field(name="profile.tags"), "unknown field profile.tags"),
        (field(name="profile.cart.lines"), "unknown field profile.cart.lines"),
        (field(name="profile.interest"), "needs a category: profile.interest.<category>"),
        (field(name="profile.interest.Outdoor"), "interest category is lower case"),
        (field(name="profile.counters.wishlist_add"), "unknown event type 'wishlist_add'"),
        (field(name="attributes.tier"), "unknown field attributes.tier"),
        (field(name="context.browser"), "unknown field context.browser"),
        (field(name="context.device.kind"), "unknown field context.device.kind"),
        (field(name="context.query"), "needs a query parameter"),
        (field(name="context.query.a.b"), "is not a query parameter"),
    ],
)
def test_field_name_errors(leaf: dict, reason: str) -> None:
    errors = validate_rule({"any": [field(), {"not": leaf}]})
    assert [e.path for e in errors] == ["any[1].not.field"]
    assert reason in errors[0].reason


def test_an_unknown_field_is_named_by_its_node_path() -> None:
    rule = {"all": [field(), field(), field("profile.foo", "eq", 1)]}
    assert [str(error) for error in validate_rule(rule)] == [
        "all[2].field: unknown field profile.foo"
    ]


def test_custom_fields_and_event_types_come_from_the_registry() -> None:
    rule = {
        "all": [
            field("attributes.tier", "eq", "gold"),
            field("attributes.age", "gte", 18.5),
            field("attributes.signed_up", "gte", "2026-01-01"),
            field("profile.counters.wishlist_add", "gte", 1),
            window(type="wishlist_add"),
        ]
    }
    assert validate_rule(rule, registry=TEST_REGISTRY) == []
    assert paths(rule, registry=BUILTIN_REGISTRY) == [
        "all[0].field",
        "all[1].field",
        "all[2].field",
        "all[3].field",
        "all[4].events.type",
    ]


@pytest.mark.parametrize(
    ("leaf", "path", "reason"),
    [
        ({"field": "profile.orders", "value": 1}, "op", "missing"),
        ({"field": "profile.orders", "op": "eq"}, "value", "missing"),
        (field(op="equals"), "op", "unknown op"),
        (field(op=None), "op", "unknown op"),
        (field(op=["eq"]), "op", "unknown op"),
        (field(op="eq", value=None), "value", "use exists"),
        (field(op="eq", value=[1]), "value", "string, number or boolean"),
        (field(op="eq", value={"a": 1}), "value", "string, number or boolean"),
        (field(op="ne", value=float("nan")), "value", "finite"),
        (field(op="eq", value=2**60), "value", "too large"),
        (field("context.city", "eq", "x" * (MAX_STRING_LENGTH + 1)), "value", "at most"),
        (field(op="lt", value="soon"), "value", "lt takes a number"),
        (field(op="lt", value="2026-11-26"), "value", "lt takes a number"),
        (field("profile.last_seen", "lt", "soon"), "value", "takes an ISO date"),
        (field("profile.last_seen", "lt", "2026-11-26T10:00:00"), "value", "ISO date"),  # no zone
        (field("profile.last_seen", "lt", "2026-02-30"), "value", "ISO date"),
        (field("profile.last_seen", "gt", 5), "value", "takes an ISO date"),
        (field(op="gt", value=True), "value", "gt takes a number"),
        (field(op="gte", value=[1]), "value", "takes a number"),
        (field(op="lte", value=float("inf")), "value", "finite"),
        (field(op="in", value=[]), "value", "non-empty list"),
        (field("context.country", "in", "DE"), "value", "non-empty list"),
        (field(op="not_in", value=[1] * (MAX_LIST_LENGTH + 1)), "value", "at most"),
        (field("context.city", "in", ["a", ["b"]]), "value[1]", "string, number or boolean"),
        (field("context.city", "not_in", ["a", None]), "value[1]", "use exists"),
        (field("context.city", "contains", ["a"]), "value", "contains takes a non-empty string"),
        (field("context.city", "startswith", ""), "value", "non-empty string"),
        (field("context.city", "startswith", 1), "value", "non-empty string"),
        (field(op="exists", value="yes"), "value", "true or false"),
        (field(op="exists", value=1), "value", "true or false"),
        (field("context.local_hour", "startswith", "1"), "op", "is a number"),
        (field("context.local_hour", "eq", "18"), "value", "expected number"),
        (field("context.local_weekday", "lt", "2026-01-01"), "value", "takes a number"),
        (field("context.local_hour", "in", [18, "19"]), "value[1]", "expected number"),
        (field("context.local_hour", "eq", 24), "value", "from 0 to 23"),
        (field("context.local_weekday", "in", [6, 8]), "value[1]", "from 1 to 7"),
        (field("context.logged_in", "gt", 0), "op", "true or false"),
        (field("context.logged_in", "eq", 1), "value", "expected boolean"),
        (field("context.device", "eq", 1), "value", "expected string"),
        (field("context.device", "eq", "phone"), "value", "not a choice of context.device"),
        (field("context.country", "eq", "Germany"), "value", "did you mean 'DE' (Germany)?"),
        (field("context.country", "in", ["DE", "de"]), "value[1]", "did you mean 'DE'"),
        (field("context.query.page", "gt", 2), "op", "is text: gt does not apply"),
        (field("context.path", "lt", "2026-01-01"), "op", "is text: lt does not apply"),
        (field("profile.rfm.label", "eq", "vip"), "value", "not a choice of profile.rfm.label"),
        (field("profile.rfm.r", "eq", 6), "value", "from 1 to 5"),
        (field("profile.last_seen", "eq", "2026-01-01"), "op", "is a date: eq does not apply"),
        (field("profile.orders", "contains", 1), "op", "is a number: contains does not apply"),
        (field(RECENCY, "eq", 3), "op", "eq does not apply; use one of: exists, gt"),
        (field("profile.interest.home", "in", [1]), "op", "in does not apply"),
        (field("profile.known", "gt", 0), "op", "is true or false"),
        (field("attributes.email", "eq", "a@example.com"), "op", "use one of: exists"),
        (field("attributes.loyalty_tier", "eq", "diamond"), "value", "use one of: 'none'"),
    ],
)
def test_field_leaf_errors(leaf: dict, path: str, reason: str) -> None:
    errors = validate_rule({"all": [field(), field(), leaf]})
    assert [e.path for e in errors] == [f"all[2].{path}"]
    assert reason in errors[0].reason


# --- bounds (these were 500s in SQL before) --------------------------------------------


@pytest.mark.parametrize(
    ("leaf", "reason"),
    [
        (field(RECENCY, "gt", 2**52), "from 0 to 36500 days"),
        (field(RECENCY, "lte", 1e12), "from 0 to 36500 days"),
        (field(RECENCY, "gte", 2**53), "from 0 to 36500 days"),
        (field(RECENCY, "gt", 2**53 + 1), "too large: use at most 15 digits"),
        (field(RECENCY, "lt", -1), "from 0 to 36500 days"),
        (field(op="in", value=[1, float("inf")]), "finite"),
        (field("profile.orders", "gte", -1), "at least 0"),
        (field("profile.first_seen", "lte", "9999-12-31"), "dates lie between"),
        (field("profile.first_seen", "gt", "9999-12-31T23:59:59+00:00"), "dates lie between"),
        (field("profile.first_seen", "gt", "0001-01-01T00:00:00+05:00"), "dates lie between"),
        (field("profile.last_seen", "lt", "1900-01-01T01:00:00+02:00"), "dates lie between"),
        (window(where={"at": {"lt": "0001-01-01"}}), "dates lie between"),
    ],
)
def test_numbers_and_dates_out_of_range_are_errors(leaf: dict, reason: str) -> None:
    errors = validate_rule({"all": [field(), leaf]})
    assert len(errors) == 1 and errors[0].path.startswith("all[1].")
    assert reason in errors[0].reason


# --- event-window leaves -----------------------------------------------------------


@pytest.mark.parametrize(
    ("leaf", "path", "reason"),
    [
        ({"events": "page_view", "op": "gte", "value": 1}, "events", "expected an object"),
        ({"events": {"within": "1h"}, "op": "gte", "value": 1}, "events.type", "missing"),
        (window(type="pageview"), "events.type", "unknown event type"),
        (window(type=None), "events.type", "unknown event type"),
        ({"events": {"type": "search"}, "op": "gte", "value": 1}, "events.within", "missing"),
        (window(within="0h"), "events.within", "not a duration"),
        (window(within="-1h"), "events.within", "not a duration"),
        (window(within="1 hour"), "events.within", "not a duration"),
        (window(within=3600), "events.within", "expected a duration string"),
        (window(within="800d"), "events.within", "maximum window of 730d"),
        (window(agg="avg"), "events.agg", "unknown aggregate"),
        (window(agg="sum"), "events.property", "missing: sum needs"),
        (window(agg="max"), "events.property", "missing: max needs"),
        (window(agg="min"), "events.property", "missing: min needs"),
        (window(property="price"), "events.property", "only sum, max and min"),
        (window(agg="sum", property=5), "events.property", "property name string"),
        (window(agg="sum", property="a..b"), "events.property", "not a property name"),
        (window(op="contains", value=1), "op", "does not apply here"),
        (window(op="startswith", value="1"), "op", "does not apply here"),
        (window(op="gte", value="3"), "value", "takes a number"),
        (window(op="eq", value=True), "value", "expected number"),
        (window(op="in", value=[1, "2"]), "value[1]", "expected number"),
        (window(op="gte", value="2026-01-01"), "value", "takes a number"),
        ({"events": {"type": "search", "within": "1h"}, "value": 1}, "op", "missing"),
        ({"events": {"type": "search", "within": "1h"}, "op": "gte"}, "value", "missing"),
        (window(where=[]), "events.where", "expected an object"),
        (window(where={}), "events.where", "expected an object"),
        (window(where={"a.": {"eq": 1}}), "events.where.a.", "not a property name"),
        (window(where={"brand": "acme"}), "events.where.brand", "op -> value"),
        (window(where={"brand": {}}), "events.where.brand", "op -> value"),
        (window(where={"brand": {"is": "acme"}}), "events.where.brand.is", "unknown op"),
        (
            window(where={"brand": {"in": "acme"}}),
            "events.where.brand.in",
            "non-empty list",
        ),
        (
            window(where={"price": {"gte": "cheap"}}),
            "events.where.price.gte",
            "a number or an ISO date",
        ),
        (
            window(where={f"p{i}": {"exists": True} for i in range(11)}),
            "events.where",
            "at most 10 properties",
        ),
    ],
)
def test_events_leaf_errors(leaf: dict, path: str, reason: str) -> None:
    errors = validate_rule({"all": [field(), leaf]})
    assert [e.path for e in errors] == [f"all[1].{path}"]
    assert reason in errors[0].reason


def test_event_types_come_from_the_registry() -> None:
    leaf = window(type="wishlist_add")
    assert paths(leaf) == ["events.type"]
    assert validate_rule(leaf, registry=TEST_REGISTRY) == []


# --- limits ------------------------------------------------------------------------


def nested_nots(depth: int) -> dict:
    rule: dict = {"segment": "vip"}
    for _ in range(depth - 1):
        rule = {"not": rule}
    return rule


def test_depth_limit() -> None:
    assert validate_rule(nested_nots(MAX_DEPTH)) == []
    errors = validate_rule(nested_nots(MAX_DEPTH + 1))
    assert [e.path for e in errors] == [".".join(["not"] * MAX_DEPTH)]
    assert "nested more than 12 levels" in errors[0].reason


def test_hostile_depth_is_cut_off_without_recursing() -> None:
    rule: Any = {"segment": "vip"}
    for _ in range(100_000):
        rule = {"any": [rule]}
    errors = validate_rule(rule)
    assert len(errors) == 1
    assert errors[0].path.count("any[0]") == MAX_DEPTH


def test_node_limit() -> None:
    assert validate_rule({"any": [field()] * (MAX_NODES - 1)}) == []
    errors = validate_rule({"any": [field()] * MAX_NODES})
    assert [e.path for e in errors] == [f"any[{MAX_NODES - 1}]"]
    assert "more than 200 conditions" in errors[0].reason


def test_a_huge_group_stops_at_the_node_limit() -> None:
    errors = validate_rule({"any": [field()] * 1_000_000})
    assert len(errors) == 1


def test_error_count_is_capped() -> None:
    errors = validate_rule({"any": [{"bad": i} for i in range(150)]})
    assert len(errors) == MAX_ERRORS


def test_several_errors_are_all_reported_in_document_order() -> None:
    rule = {"all": [window(within="1y"), field(op="nope"), {"segment": 1}]}
    assert paths(rule) == ["all[0].events.within", "all[1].op", "all[2].segment"]


# --- the raising form --------------------------------------------------------------


def test_check_rule_raises_invalid_rule_with_path_and_reason() -> None:
    rule = {"all": [field(), window(within="1y")]}
    with pytest.raises(InvalidRule) as caught:
        check_rule(rule)
    assert caught.value.path == "all[1].events.within"
    assert "not a duration" in caught.value.reason
    assert str(caught.value).startswith("all[1].events.within: ")
    assert isinstance(caught.value, ValueError)


def test_root_errors_print_as_rule() -> None:
    with pytest.raises(InvalidRule, match=r"^\(rule\): expected a condition object"):
        check_rule(42)
