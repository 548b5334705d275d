"""The one-line admin rendering of a rule."""

import pytest

from segments.conditions import InvalidRule, describe_rule

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


def test_api_example() -> None:
    assert describe_rule(API_EXAMPLE) == (
        'Abandoned a cart = true AND count(product_view where category startswith "outdoor/") '
        "in last 1h >= 3 AND sum(revenue of purchase) in last 365d > 500 "
        'AND Device in ["Mobile", "Tablet"] AND not in segment "vip"'
    )


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (
            {"field": "profile.rfm.recency_days", "op": "lte", "value": 7},
            "Days since the last purchase <= 7",
        ),
        (
            {"field": "attributes.loyalty_tier", "op": "ne", "value": "gold"},
            'Loyalty tier != "Gold"',
        ),
        (
            {"field": "context.query.utm_term", "op": "contains", "value": "tent"},
            'Query parameter utm_term contains "tent"',
        ),
        (
            {"field": "attributes.email", "op": "exists", "value": True},
            "E-mail address on file is set",
        ),
        (
            {"field": "attributes.email", "op": "exists", "value": False},
            "E-mail address on file is not set",
        ),
        (
            {"field": "context.country", "op": "not_in", "value": ["DE", "AT"]},
            'Country not in ["Germany", "Austria"]',
        ),
        (
            {"field": "profile.counters.add_to_cart", "op": "gte", "value": 2},
            "Add to cart events (all time) >= 2",
        ),
        ({"segment": "vip"}, 'in segment "vip"'),
        (
            {"any": [{"segment": "a"}, {"all": [{"segment": "b"}, {"segment": "c"}]}]},
            'in segment "a" OR (in segment "b" AND in segment "c")',
        ),
        ({"all": [{"any": [{"segment": "a"}]}]}, 'in segment "a"'),
        (
            {"not": {"any": [{"segment": "a"}, {"segment": "b"}]}},
            'NOT (in segment "a" OR in segment "b")',
        ),
        (
            {
                "events": {
                    "type": "purchase",
                    "within": "30d",
                    "agg": "max",
                    "property": "revenue",
                    "where": {"currency": {"eq": "EUR"}, "items": {"gte": 2}},
                },
                "op": "exists",
                "value": True,
            },
            'max(revenue of purchase where currency = "EUR" and items >= 2) in last 30d is set',
        ),
    ],
)
def test_rendering(rule: dict, text: str) -> None:
    assert describe_rule(rule) == text


def test_invalid_rules_are_refused() -> None:
    with pytest.raises(InvalidRule):
        describe_rule({"all": []})
