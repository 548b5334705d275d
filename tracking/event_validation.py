"""Per-event validation of ingest batches: pure functions, no Django.

The ingest hot path validates with these plain checks rather than DRF serializers
(about 20x cheaper per event); the serializers in `tracking/api/serializers.py` only
document the same shapes for the OpenAPI schema.
"""

import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from core.client_input import (
    INVALID_TEXT,
    MAX_ABS_NUMBER,
    MAX_CONTEXT_STRING,
    SESSION_ID_RE,
    invalid_text,
    is_visitor_id,
    shown,
)

EVENT_TYPES = frozenset(
    {
        "page_view",
        "product_view",
        "search",
        "add_to_cart",
        "remove_from_cart",
        "checkout_start",
        "purchase",
        "click",
        "impression",
        "email_open",
        "email_click",
        "login",
    }
)
EVENT_KEYS = frozenset(
    {"type", "visitor_id", "session_id", "timestamp", "event_id", "properties", "context"}
)
CONTEXT_KEYS = frozenset(
    {
        "device",
        "country",
        "city",
        "referrer",
        "url",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "local_time",
        "locale",
        "user_agent",
        "logged_in",
    }
)
# Context keys holding a boolean; every other context value is a string.
BOOLEAN_CONTEXT_KEYS = frozenset({"logged_in"})
COUNTRY_RE = re.compile(r"[A-Za-z]{2}")
PROPERTY_KEY_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# A shop's own event types (`tracking.definitions`): the name and the properties it
# declares, each typed as a rule field is.
CUSTOM_EVENT_TYPE_RE = re.compile(r"[a-z][a-z0-9_]{1,31}")
CUSTOM_PROPERTY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
PROPERTY_TYPES = ("string", "number", "boolean", "date")
REGISTER_HINT = (
    "register it with POST /api/v1/event-types or in the admin (Settings > Custom event types)"
)
# name -> {property -> type}
CustomTypes = Mapping[str, Mapping[str, str]]

MAX_PROPERTIES = 50
MAX_STRING = 1000
MAX_LIST_ITEMS = 200
MAX_DEPTH = 3
# Bounds that keep sums finite and exact enough for every later read (API.md, Events):
# any number in properties is at most 2^53 in magnitude, an amount of money (price,
# revenue) is 0 to 1e9 in the shop's currency, a quantity 1 to 10,000.
MAX_MONEY = 1_000_000_000
MAX_QUANTITY = 10_000
MONEY_PROPERTIES = ("price", "sale_price", "revenue")
URL_CONTEXT_KEYS = frozenset({"url", "referrer"})


@dataclass(frozen=True, slots=True)
class ValidationLimits:
    max_future_skew: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=3650)


@dataclass(slots=True)
class ValidEvent:
    index: int
    type: str
    visitor_id: str
    timestamp: datetime
    session_id: str = ""
    event_id: uuid.UUID | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class BatchValidation:
    valid: list[ValidEvent]
    rejected: list[dict[str, Any]]


class _Invalid(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def parses_as_url(value: str) -> bool:
    """A URL or path that `urlsplit` (the rules' and the recommender's reader) takes: it
    raises only on brackets (IPv6 hosts) and on non-ASCII host names, so plain ASCII
    without brackets, nearly every URL, needs no parse."""
    if value.isascii() and "[" not in value and "]" not in value:
        return True
    try:
        urlsplit(value)
    except ValueError:
        return False
    return True


def parse_timestamp(value: object) -> datetime:
    """An ISO 8601 time that carries a zone, converted to UTC."""
    if not isinstance(value, str) or len(value) > 64:
        raise _Invalid("must be an ISO 8601 string with a time zone")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid("must be an ISO 8601 string with a time zone") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _Invalid("must include a time zone (for example 'Z' or '+01:00')")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # year 1 or 9999 shifted by its offset
        raise _Invalid("is out of the supported date range") from exc


def _check_scalar(value: object, *, max_string: int = MAX_STRING) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if len(value) > max_string:
            raise _Invalid(f"strings are limited to {max_string} characters")
        if invalid_text(value):
            raise _Invalid(INVALID_TEXT)
        return
    if isinstance(value, int):
        if abs(value) > MAX_ABS_NUMBER:
            raise _Invalid("integer out of range")
        return
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_ABS_NUMBER:
            raise _Invalid(f"numbers must be finite and at most {MAX_ABS_NUMBER} in magnitude")
        return
    raise _Invalid("unsupported value type")


def _check_value(value: object, depth: int) -> None:
    """Check nested property values. A failure names its path (`a.b[2]`), built only as
    the error propagates, so valid events pay nothing for it."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise _Invalid(f"nesting deeper than {MAX_DEPTH} levels")
        if len(value) > MAX_PROPERTIES:
            raise _Invalid(f"objects are limited to {MAX_PROPERTIES} keys")
        for key, item in value.items():
            if PROPERTY_KEY_RE.fullmatch(key) is None:
                raise _Invalid(f"invalid key {key[:64]!r}")
            try:
                _check_value(item, depth + 1)
            except _Invalid as exc:
                exc.field = f".{key}{exc.field or ''}"
                raise
    elif isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise _Invalid(f"nesting deeper than {MAX_DEPTH} levels")
        if len(value) > MAX_LIST_ITEMS:
            raise _Invalid(f"lists are limited to {MAX_LIST_ITEMS} items")
        for position, item in enumerate(value):
            try:
                _check_value(item, depth + 1)
            except _Invalid as exc:
                exc.field = f"[{position}]{exc.field or ''}"
                raise
    else:
        _check_scalar(value)


def _money(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"{name} must be a number")
    if not 0 <= value <= MAX_MONEY:  # also false for NaN
        raise _Invalid(f"{name} must be a number from 0 to {MAX_MONEY:,}")
    return float(value)


def _quantity(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_QUANTITY:
        raise _Invalid(f"{name} must be an integer from 1 to {MAX_QUANTITY:,}")
    return value


def _identifier(value: object, name: str, max_length: int = 128) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Invalid(f"{name} must be a string")
    text = str(value)
    if not text or len(text) > max_length:
        raise _Invalid(f"{name} must be 1 to {max_length} characters")
    return text


def _check_line_item(item: object, position: int) -> None:
    if not isinstance(item, dict):
        raise _Invalid(f"items[{position}] must be an object")
    _identifier(item.get("product_id"), f"items[{position}].product_id")
    if "quantity" in item:
        _quantity(item["quantity"], f"items[{position}].quantity")
    if "price" in item:
        _money(item["price"], f"items[{position}].price")


def _check_type_properties(event_type: str, props: dict[str, Any], errors: dict[str, str]) -> None:
    """Required properties per event type (see API.md), reported as properties.<name>."""

    def check(name: str, checker: Any) -> None:
        try:
            checker()
        except _Invalid as exc:
            errors[f"properties.{name}"] = str(exc)

    for name in MONEY_PROPERTIES:
        if name in props:
            check(name, lambda name=name: _money(props[name], name))
    if event_type in {"product_view", "add_to_cart", "remove_from_cart"}:
        check("product_id", lambda: _identifier(props.get("product_id"), "product_id"))
        if "quantity" in props:
            check("quantity", lambda: _quantity(props["quantity"], "quantity"))
    elif event_type == "search":

        def query() -> None:
            value = props.get("query")
            if not isinstance(value, str) or not value.strip():
                raise _Invalid("query is required and must be a non-empty string")

        check("query", query)
    elif event_type == "purchase":
        check("order_id", lambda: _identifier(props.get("order_id"), "order_id"))
        check("revenue", lambda: _money(props.get("revenue"), "revenue"))
        if "items" in props:

            def items() -> None:
                value = props["items"]
                if not isinstance(value, list):
                    raise _Invalid("items must be a list")
                for position, item in enumerate(value):
                    _check_line_item(item, position)

            check("items", items)
    elif event_type == "click":
        check("placement", lambda: _identifier(props.get("placement"), "placement"))
    elif event_type == "login":
        check("user_id", lambda: _identifier(props.get("user_id"), "user_id"))


def _typed(value: object, kind: str) -> object:
    """A declared property of a custom event: checked against its type; dates are kept
    as the ISO text that was sent."""
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid("must be a number")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _Invalid("must be true or false")
    elif kind == "date":
        if not isinstance(value, str):
            raise _Invalid("must be an ISO 8601 date")
        try:
            if len(value) == 10:
                date.fromisoformat(value)
            else:
                parse_timestamp(value)
        except (ValueError, _Invalid):
            raise _Invalid("must be an ISO 8601 date (2026-12-24) or time with zone") from None
    elif not isinstance(value, str):
        raise _Invalid("must be a string")
    return value


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _custom_properties(
    schema: Mapping[str, str], props: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    """Declared properties type-checked (reported as properties.<name>), the others kept
    as strings (API.md "Event types and customer attributes")."""
    checked: dict[str, Any] = {}
    for name, value in props.items():
        kind = schema.get(name)
        if value is None:
            checked[name] = None
        elif kind is None:
            text = _as_text(value)
            if len(text) > MAX_STRING:
                errors[f"properties.{name}"] = f"strings are limited to {MAX_STRING} characters"
            checked[name] = text
        else:
            try:
                checked[name] = _typed(value, kind)
            except _Invalid as exc:
                errors[f"properties.{name}"] = str(exc)
    return checked


def validate_event(
    raw: object,
    index: int,
    *,
    now: datetime,
    default_visitor_id: str | None = None,
    limits: ValidationLimits = ValidationLimits(),
    custom_types: CustomTypes | None = None,
) -> ValidEvent | dict[str, str]:
    """Return a `ValidEvent`, or a dict mapping each bad field to a reason. `custom_types`
    are the shop's registered event types with their property types."""
    if not isinstance(raw, dict):
        return {"event": "must be a JSON object"}
    errors: dict[str, str] = {}
    unknown = [key for key in raw if key not in EVENT_KEYS]
    if unknown:
        errors["event"] = f"unknown fields: {', '.join(sorted(shown(k) for k in unknown)[:5])}"

    event_type = raw.get("type")
    custom = custom_types or {}
    schema = None
    if not isinstance(event_type, str):
        errors["type"] = "is required"
    elif event_type not in EVENT_TYPES:
        schema = custom.get(event_type)
        if schema is None:
            errors["type"] = f"unknown event type {shown(event_type)!r}; {REGISTER_HINT}"

    visitor_id = raw.get("visitor_id", default_visitor_id)
    if visitor_id is None:
        errors["visitor_id"] = "is required"
    elif not is_visitor_id(visitor_id):
        errors["visitor_id"] = "must be 1 to 64 characters from [A-Za-z0-9_-]"

    session_id = raw.get("session_id", "")
    if session_id != "" and (
        not isinstance(session_id, str) or SESSION_ID_RE.fullmatch(session_id) is None
    ):
        errors["session_id"] = "must be 1 to 128 characters from [A-Za-z0-9_.:-]"

    timestamp = now
    if "timestamp" in raw:
        try:
            timestamp = parse_timestamp(raw["timestamp"])
        except _Invalid as exc:
            errors["timestamp"] = str(exc)
        else:
            if timestamp > now + limits.max_future_skew:
                errors["timestamp"] = "is in the future"
            elif timestamp < now - limits.max_age:
                errors["timestamp"] = "is older than the accepted event age"

    event_id = None
    if raw.get("event_id") is not None:
        try:
            if not isinstance(raw["event_id"], str) or len(raw["event_id"]) > 64:
                raise ValueError
            event_id = uuid.UUID(raw["event_id"])
        except ValueError:
            errors["event_id"] = "must be a UUID"

    properties = raw.get("properties", {})
    if not isinstance(properties, dict):
        errors["properties"] = "must be an object"
        properties = {}
    else:
        try:
            _check_value(properties, 0)
        except _Invalid as exc:
            errors[f"properties{exc.field or ''}"] = str(exc)
        else:
            if schema is not None:
                properties = _custom_properties(schema, properties, errors)
            elif isinstance(event_type, str) and event_type in EVENT_TYPES:
                _check_type_properties(event_type, properties, errors)

    context = raw.get("context", {})
    if not isinstance(context, dict):
        errors["context"] = "must be an object"
        context = {}
    else:
        for key, value in context.items():
            if key not in CONTEXT_KEYS:
                errors[f"context.{shown(key)}"] = "unknown context field"
            elif key in BOOLEAN_CONTEXT_KEYS:
                if not isinstance(value, bool):
                    errors[f"context.{key}"] = "must be a boolean"
            elif not isinstance(value, str) or len(value) > MAX_CONTEXT_STRING:
                errors[f"context.{key}"] = f"must be a string of at most {MAX_CONTEXT_STRING}"
            elif invalid_text(value):
                errors[f"context.{key}"] = INVALID_TEXT
            elif key in URL_CONTEXT_KEYS and not parses_as_url(value):
                errors[f"context.{key}"] = "must be a URL or a path"
        country = context.get("country")
        if isinstance(country, str) and not COUNTRY_RE.fullmatch(country):
            errors["context.country"] = "must be a two-letter ISO 3166 country code"

    if errors:
        return errors
    assert isinstance(event_type, str) and isinstance(visitor_id, str)  # noqa: S101
    if isinstance(context.get("country"), str):
        context = {**context, "country": context["country"].upper()}
    return ValidEvent(
        index=index,
        type=event_type,
        visitor_id=visitor_id,
        timestamp=timestamp,
        session_id=session_id,
        event_id=event_id,
        properties=properties,
        context=context,
    )


def validate_batch(
    raw_events: list[object],
    *,
    now: datetime,
    default_visitor_id: str | None = None,
    limits: ValidationLimits = ValidationLimits(),
    custom_types: CustomTypes | None = None,
) -> BatchValidation:
    """Split a batch into valid events and `{"index", "errors"}` rejections."""
    valid: list[ValidEvent] = []
    rejected: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_events):
        result = validate_event(
            raw,
            index,
            now=now,
            default_visitor_id=default_visitor_id,
            limits=limits,
            custom_types=custom_types,
        )
        if isinstance(result, ValidEvent):
            valid.append(result)
        else:
            rejected.append({"index": index, "errors": result})
    return BatchValidation(valid=valid, rejected=rejected)
