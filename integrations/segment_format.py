"""Segment's HTTP tracking API (track, identify, page, batch) and its e-commerce spec v2,
as pz events. Pure Python: messages in, pz event dicts (or the reason one is refused) out;
`integrations.services` resolves the visitor and ingests them.

| Segment | pz |
|---|---|
| track "Product Viewed" | product_view |
| track "Product Added" | add_to_cart |
| track "Product Removed" | remove_from_cart |
| track "Checkout Started" | checkout_start |
| track "Order Completed" | purchase (products -> items) |
| track "Products Searched" | search |
| track "<any other name>" | its snake_case name: a built-in or registered custom type |
| page | page_view |
| identify with userId | login (stitching; server keys only) |
"""

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

SPEC_V2_EVENTS = {
    "Product Viewed": "product_view",
    "Product Added": "add_to_cart",
    "Product Removed": "remove_from_cart",
    "Checkout Started": "checkout_start",
    "Order Completed": "purchase",
    "Products Searched": "search",
}
PRODUCT_EVENTS = frozenset({"product_view", "add_to_cart", "remove_from_cart"})
MESSAGE_TYPES = frozenset({"track", "page", "identify"})
# Segment's context.campaign names -> pz's utm_* context fields.
CAMPAIGN_FIELDS = {
    "source": "utm_source",
    "medium": "utm_medium",
    "name": "utm_campaign",
    "term": "utm_term",
    "content": "utm_content",
}
MESSAGE_ID_NAMESPACE = uuid.UUID("6f1c2b0e-6d1a-4d8e-9a57-3a2f5b1c9e11")
_WORDS = re.compile(r"[^A-Za-z0-9]+")


@dataclass(slots=True)
class Mapped:
    """One Segment message as a pz event, before its visitor id is resolved."""

    event: dict[str, Any]
    anonymous_id: str | None = None
    user_id: str | None = None
    traits: dict[str, Any] = field(default_factory=dict)


def event_type_of(name: object) -> str | None:
    """A track event's pz type: the spec v2 table, else the name in snake_case."""
    if not isinstance(name, str) or not name.strip():
        return None
    if name in SPEC_V2_EVENTS:
        return SPEC_V2_EVENTS[name]
    return _WORDS.sub("_", name.strip()).strip("_").lower() or None


def event_id_of(message_id: object) -> str | None:
    """messageId as the event_id: itself when it is a UUID, else a UUID derived from it."""
    if not isinstance(message_id, str) or not message_id:
        return None
    try:
        return str(uuid.UUID(message_id))
    except ValueError:
        return str(uuid.uuid5(MESSAGE_ID_NAMESPACE, message_id[:512]))


def _product(props: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {}
    product_id = props.get("product_id") or props.get("sku") or props.get("id")
    if product_id is not None:
        line["product_id"] = product_id if isinstance(product_id, str) else str(product_id)
    for name in ("price", "quantity", "category"):
        if props.get(name) is not None:
            line[name] = props[name]
    return line


def _properties(event_type: str, props: dict[str, Any]) -> dict[str, Any]:
    if event_type in PRODUCT_EVENTS:
        mapped = _product(props)
        if event_type == "product_view":
            mapped.pop("quantity", None)
    elif event_type == "purchase":
        mapped = {
            "order_id": props.get("order_id") or props.get("checkout_id"),
            "revenue": next(
                (props[k] for k in ("revenue", "total", "value") if props.get(k) is not None), 0
            ),
            "items": [_product(p) for p in props.get("products") or [] if isinstance(p, dict)],
        }
    elif event_type == "search":
        mapped = {"query": props.get("query")}
    else:
        return dict(props)  # a custom type's own properties
    if props.get("currency") is not None and event_type != "search":
        mapped["currency"] = props["currency"]
    return mapped


def _context(message: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
    source = message.get("context") if isinstance(message.get("context"), dict) else {}
    context: dict[str, Any] = {}
    page_context = source.get("page") if isinstance(source.get("page"), dict) else {}
    for name, value in (
        ("url", page.get("url") or page_context.get("url")),
        ("referrer", page.get("referrer") or page_context.get("referrer")),
        ("locale", source.get("locale")),
        ("user_agent", source.get("userAgent")),
    ):
        if isinstance(value, str) and value:
            context[name] = value
    campaign = source.get("campaign") if isinstance(source.get("campaign"), dict) else {}
    for name, pz_name in CAMPAIGN_FIELDS.items():
        if isinstance(campaign.get(name), str) and campaign[name]:
            context[pz_name] = campaign[name]
    return context


def _text_id(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def map_message(message: object, default_type: str | None = None) -> Mapped | dict[str, str]:
    """A Segment message as a pz event, or the reasons it cannot be one (by field)."""
    if not isinstance(message, dict):
        return {"message": "must be a JSON object"}
    kind = message.get("type", default_type)
    if kind not in MESSAGE_TYPES:
        return {"type": "must be track, page or identify (alias, group and screen are not used)"}
    anonymous_id = _text_id(message.get("anonymousId"))
    user_id = _text_id(message.get("userId"))
    if anonymous_id is None and user_id is None:
        return {"anonymousId": "a message needs an anonymousId or a userId"}
    props = message.get("properties") if isinstance(message.get("properties"), dict) else {}
    if kind == "track":
        event_type = event_type_of(message.get("event"))
        if event_type is None:
            return {"event": "is required"}
        event: dict[str, Any] = {"type": event_type, "properties": _properties(event_type, props)}
    elif kind == "page":
        event = {"type": "page_view", "properties": {}}
        if isinstance(message.get("name"), str):
            event["properties"]["name"] = message["name"]
    else:
        if user_id is None:
            return {"userId": "an identify message needs a userId"}
        event = {"type": "login", "properties": {"user_id": user_id}}
    context = _context(message, props if kind == "page" else {})
    if context:
        event["context"] = context
    timestamp = message.get("timestamp") or message.get("originalTimestamp")
    if timestamp is not None:
        event["timestamp"] = timestamp
    event_id = event_id_of(message.get("messageId"))
    if event_id:
        event["event_id"] = event_id
    traits = message.get("traits") if isinstance(message.get("traits"), dict) else {}
    if kind == "identify" and not traits:
        source = message.get("context") if isinstance(message.get("context"), dict) else {}
        traits = source.get("traits") if isinstance(source.get("traits"), dict) else {}
    return Mapped(event=event, anonymous_id=anonymous_id, user_id=user_id, traits=traits)
