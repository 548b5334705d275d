"""Event payload builders shared by tracking tests."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def minutes_ago(minutes: float) -> str:
    return iso(datetime.now(UTC) - timedelta(minutes=minutes))


def make_event(event_type: str = "product_view", visitor_id: str = "v1", **fields: Any) -> dict:
    defaults: dict[str, dict[str, Any]] = {
        "product_view": {"product_id": "SKU-1", "category": "outdoor/tents", "price": 199.0},
        "add_to_cart": {"product_id": "SKU-1", "category": "outdoor/tents", "price": 199.0},
        "remove_from_cart": {"product_id": "SKU-1"},
        "purchase": {
            "order_id": "o-1",
            "revenue": 199.0,
            "items": [
                {"product_id": "SKU-1", "quantity": 1, "price": 199.0, "category": "outdoor/tents"}
            ],
        },
        "search": {"query": "tent"},
        "click": {"placement": "home-hero"},
        "login": {"user_id": "12347"},
    }
    payload = {
        "type": event_type,
        "visitor_id": visitor_id,
        "timestamp": fields.pop("timestamp", minutes_ago(1)),
        "properties": fields.pop("properties", defaults.get(event_type, {})),
    }
    payload.update(fields)
    return payload


def with_event_id(payload: dict) -> dict:
    return {**payload, "event_id": str(uuid.uuid4())}
