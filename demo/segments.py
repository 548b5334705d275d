"""The demo's segments: the classic engagement trio, RFM classics, and a few targeting
examples (a real-time context segment, a hierarchy). Loaded by `load_demo`."""

from typing import Any

from segments.models import Segment
from segments.services import segment_save


def _events(event_type: str, within: str, op: str, value: int, **spec: Any) -> dict[str, Any]:
    return {"events": {"type": event_type, "within": within, **spec}, "op": op, "value": value}


def _rfm(label: str) -> dict[str, Any]:
    return {"field": "profile.rfm.label", "op": "eq", "value": label}


DEMO_SEGMENTS: list[dict[str, Any]] = [
    {
        "key": "browsers",
        "name": "Browsers",
        "description": "Looked at products in the last 30 days, nothing in the cart, never bought.",
        "rule": {
            "all": [
                _events("product_view", "30d", "gte", 1),
                {"field": "profile.cart.items", "op": "eq", "value": 0},
                {"field": "profile.orders", "op": "eq", "value": 0},
            ]
        },
    },
    {
        "key": "engaged-shoppers",
        "name": "Engaged shoppers",
        "description": "Three product views in a day, or something in the cart this week.",
        "rule": {
            "all": [
                {
                    "any": [
                        _events("product_view", "1d", "gte", 3),
                        _events("add_to_cart", "7d", "gte", 1),
                    ]
                },
                {"not": {"field": "profile.flags.cart_abandoned", "op": "eq", "value": True}},
            ]
        },
    },
    {
        "key": "cart-abandoners",
        "name": "Cart abandoners",
        "description": "Left items in the cart without buying.",
        "rule": {"field": "profile.flags.cart_abandoned", "op": "eq", "value": True},
        "placeholder_values": {"discount_code": "COMEBACK10"},
    },
    {
        "key": "champions",
        "name": "Champions",
        "rule": _rfm("champions"),
        "description": "Bought recently, often and for a lot (RFM 4-5 on every axis).",
        "placeholder_values": {"discount_code": "THANKYOU15"},
    },
    {
        "key": "loyal",
        "name": "Loyal customers",
        "rule": _rfm("loyal"),
        "description": "Frequent buyers who are still active.",
    },
    {
        "key": "at-risk",
        "name": "At risk",
        "rule": _rfm("at_risk"),
        "description": "Used to buy often, not lately.",
    },
    {
        "key": "lapsed-high-value",
        "name": "Lapsed high-value",
        "rule": _rfm("lapsed_high_value"),
        "description": "Spent a lot, but long ago.",
        "placeholder_values": {"discount_code": "MISSYOU20"},
    },
    {
        "key": "new-customers",
        "name": "New customers",
        "rule": _rfm("new"),
        "description": "First purchases, recently.",
    },
    {
        "key": "high-value",
        "name": "High-value customers",
        "description": "Lifetime revenue above 5,000.",
        "rule": {"field": "profile.revenue", "op": "gt", "value": 5000},
    },
    {
        "key": "christmas-shoppers",
        "name": "Christmas shoppers",
        "description": "Decayed interest in seasonal/christmas of at least 2.",
        "rule": {"field": "profile.interest.seasonal/christmas", "op": "gte", "value": 2},
    },
    {
        "key": "lighting-buyers",
        "name": "Bought lighting in the last 90 days",
        "description": "At least one order in the last 90 days with a home/lighting line.",
        "rule": _events(
            "purchase", "90d", "gte", 1, where={"items.category": {"eq": "home/lighting"}}
        ),
    },
    {
        "key": "lighting-big-spenders",
        "name": "Spent 100+ on lighting (90 days)",
        "description": "Lighting lines (price x quantity) worth 100 or more in the last 90 days.",
        "rule": _events(
            "purchase",
            "90d",
            "gte",
            100,
            where={"items.category": {"eq": "home/lighting"}},
            agg="sum",
            property="items.line_revenue",
        ),
    },
    {
        "key": "uk-champions",
        "name": "UK champions",
        "description": "Champions whose last known country is the UK (refines Champions).",
        "parent": "champions",
        "rule": {"field": "profile.last_context.country", "op": "eq", "value": "GB"},
    },
    {
        "key": "mobile-visitors",
        "name": "Mobile visitors",
        "description": "Browsing on a phone right now (request context, real time only).",
        "rule": {"field": "context.device", "op": "eq", "value": "mobile"},
    },
]


def load_demo_segments() -> list[Segment]:
    """Create or update the demo segments (idempotent)."""
    return [
        segment_save(
            key=spec["key"],
            name=spec["name"],
            description=spec.get("description", ""),
            rule=spec["rule"],
            parent_key=spec.get("parent"),
            placeholder_values=spec.get("placeholder_values"),
        )
        for spec in DEMO_SEGMENTS
    ]
