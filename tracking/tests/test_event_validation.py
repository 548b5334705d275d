"""Each per-event validation rule of the ingest API, on the pure validator."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tracking.event_validation import ValidEvent, validate_batch, validate_event

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def event(**overrides):
    base = {
        "type": "product_view",
        "visitor_id": "v1",
        "timestamp": "2026-11-26T10:00:00Z",
        "properties": {"product_id": "SKU-1", "category": "outdoor/tents", "price": 199.0},
        "context": {"device": "mobile", "country": "de"},
    }
    base.update(overrides)
    return base


def errors_of(raw, **kwargs):
    result = validate_event(raw, 0, now=NOW, **kwargs)
    assert not isinstance(result, ValidEvent), "expected a rejection"
    return result


def test_valid_event_is_normalised_to_utc_and_upper_country():
    result = validate_event(event(timestamp="2026-11-26T11:00:00+01:00"), 0, now=NOW)
    assert isinstance(result, ValidEvent)
    assert result.timestamp == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert result.context["country"] == "DE"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "teleport"}, "type"),
        ({"type": None}, "type"),
        ({"visitor_id": "has space"}, "visitor_id"),
        ({"visitor_id": "x" * 65}, "visitor_id"),
        ({"visitor_id": 42}, "visitor_id"),
        ({"timestamp": "2026-11-26T10:00:00"}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": 1732615200}, "timestamp"),
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"session_id": "bad session!"}, "session_id"),
        ({"properties": []}, "properties"),
        ({"properties": {"product_id": "SKU-1", "note": "x" * 1001}}, "properties.note"),
        ({"properties": {"product_id": "SKU-1", "a": {"b": {"c": {"d": 1}}}}}, "properties.a.b.c"),
        ({"properties": {"product_id": "SKU-1", "bad key!": 1}}, "properties"),
        ({"properties": {"product_id": "SKU-1", "n": float("nan")}}, "properties.n"),
        ({"properties": {"product_id": "SKU-1", "o": object()}}, "properties.o"),
        ({"properties": {"category": "x"}}, "properties.product_id"),
        ({"properties": {"product_id": "SKU-1", "price": -1}}, "properties.price"),
        ({"properties": {"product_id": "SKU-1", "quantity": 0}}, "properties.quantity"),
        ({"context": "mobile"}, "context"),
        ({"context": {"device": 3}}, "context.device"),
        ({"context": {"country": "Germany"}}, "context.country"),
        ({"context": {"shoe_size": "44"}}, "context.shoe_size"),
        ({"colour": "red"}, "event"),
    ],
)
def test_each_invalid_field_is_named(overrides, field):
    assert field in errors_of(event(**overrides))


POISON = [
    # Finite but absurd numbers: summed into a profile they overflow to inf.
    (
        {"type": "purchase", "properties": {"order_id": "o1", "revenue": 1e308}},
        "properties.revenue",
    ),
    (
        {"type": "purchase", "properties": {"order_id": "o1", "revenue": 1e9 + 1}},
        "properties.revenue",
    ),
    ({"properties": {"product_id": "SKU-1", "price": 1e300}}, "properties.price"),
    ({"properties": {"product_id": "SKU-1", "sale_price": -0.5}}, "properties.sale_price"),
    ({"properties": {"product_id": "SKU-1", "quantity": 10_001}}, "properties.quantity"),
    ({"properties": {"product_id": "SKU-1", "score": 1e200}}, "properties.score"),
    ({"properties": {"product_id": "SKU-1", "tags": [1, -1e300]}}, "properties.tags[1]"),
    (
        {
            "type": "purchase",
            "properties": {
                "order_id": "o1",
                "revenue": 5,
                "items": [{"product_id": "a", "price": 2e9}],
            },
        },
        "properties.items",
    ),
    # Text no UTF-8 encoder or PostgreSQL column takes.
    (
        {"type": "click", "properties": {"placement": "hero", "strategy": "\ud800"}},
        "properties.strategy",
    ),
    ({"properties": {"product_id": "SKU-1", "nested": {"x": "a\udfffb"}}}, "properties.nested.x"),
    ({"properties": {"product_id": "SKU-1\x00"}}, "properties.product_id"),
    ({"context": {"city": "Berlin\ud83d"}}, "context.city"),
    ({"context": {"url": "/p\x00"}}, "context.url"),
    # Times whose conversion to UTC leaves the calendar.
    ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp"),
    ({"timestamp": "9999-12-31T23:59:59-01:00"}, "timestamp"),
    ({"timestamp": "9999-12-31T23:59:59Z"}, "timestamp"),
    # URLs urlsplit cannot read.
    ({"context": {"url": "http://[::1/p"}}, "context.url"),
    ({"context": {"referrer": "https://exa\uff0fmple.com]/"}}, "context.referrer"),
]


@pytest.mark.parametrize(("overrides", "field"), POISON)
def test_poison_values_are_rejected_naming_their_field(overrides, field):
    assert field in errors_of(event(**overrides))


def test_a_valid_surrogate_pair_and_an_unbracketed_url_are_accepted():
    result = validate_event(
        event(
            properties={"product_id": "SKU-1", "name": "tent \U0001f3d5"},
            context={"url": "/p?q=[1]x"},
        ),
        0,
        now=NOW,
    )
    assert isinstance(result, ValidEvent)


def test_an_error_key_never_echoes_invalid_text():
    errors = errors_of(event(context={"\ud800x": "1"}, **{"\udfff": 1}))
    # As the API renders it: UTF-8 without ASCII escapes raises on a lone surrogate.
    rendered = json.dumps(errors, ensure_ascii=False).encode("utf-8")
    assert "context.\\ud800x" in errors
    assert b"unknown fields" in rendered


def test_timestamps_in_the_future_or_too_old_are_rejected():
    future = (NOW + timedelta(hours=1)).isoformat()
    assert errors_of(event(timestamp=future)) == {"timestamp": "is in the future"}
    ancient = (NOW - timedelta(days=4000)).isoformat()
    assert "timestamp" in errors_of(event(timestamp=ancient))


@pytest.mark.parametrize(
    ("event_type", "properties", "field"),
    [
        ("search", {}, "properties.query"),
        ("search", {"query": "   "}, "properties.query"),
        ("purchase", {"revenue": 10}, "properties.order_id"),
        ("purchase", {"order_id": "o1"}, "properties.revenue"),
        ("purchase", {"order_id": "o1", "revenue": "10"}, "properties.revenue"),
        ("purchase", {"order_id": "o1", "revenue": 1, "items": "SKU"}, "properties.items"),
        (
            "purchase",
            {"order_id": "o1", "revenue": 1, "items": [{"quantity": 1}]},
            "properties.items",
        ),
        ("click", {}, "properties.placement"),
        ("login", {}, "properties.user_id"),
        ("login", {"user_id": True}, "properties.user_id"),
    ],
)
def test_type_specific_properties_are_required(event_type, properties, field):
    assert field in errors_of(event(type=event_type, properties=properties))


def test_missing_visitor_id_falls_back_to_the_cookie_id():
    raw = event()
    del raw["visitor_id"]
    assert "visitor_id" in errors_of(raw)
    result = validate_event(raw, 0, now=NOW, default_visitor_id="cookie-id")
    assert isinstance(result, ValidEvent) and result.visitor_id == "cookie-id"


def test_non_object_event_is_rejected():
    assert errors_of("product_view") == {"event": "must be a JSON object"}


def test_batch_keeps_valid_events_and_reports_rejections_by_index():
    batch = validate_batch([event(), event(type="nope"), 7, event()], now=NOW)
    assert [e.index for e in batch.valid] == [0, 3]
    assert [r["index"] for r in batch.rejected] == [1, 2]
    assert batch.rejected[0]["errors"] == {
        "type": "unknown event type 'nope'; register it with POST /api/v1/event-types or in "
        "the admin (Settings > Custom event types)"
    }


WISHLIST = {"wishlist_add": {"product_id": "string", "price": "number", "gift": "boolean"}}


def test_a_custom_type_is_accepted_with_its_properties_typed_and_the_rest_kept_as_text():
    raw = event(
        type="wishlist_add",
        properties={"product_id": "SKU-1", "price": 12.5, "gift": True, "size": 42, "x": [1]},
    )
    result = validate_event(raw, 0, now=NOW, custom_types=WISHLIST)
    assert isinstance(result, ValidEvent)
    assert result.properties == {
        "product_id": "SKU-1",
        "price": 12.5,
        "gift": True,
        "size": "42",
        "x": "[1]",
    }


def test_a_custom_type_reports_each_mistyped_property():
    raw = event(type="wishlist_add", properties={"product_id": 7, "price": "12", "gift": "yes"})
    assert errors_of_custom(raw) == {
        "properties.product_id": "must be a string",
        "properties.price": "must be a number",
        "properties.gift": "must be true or false",
    }


def errors_of_custom(raw):
    result = validate_event(raw, 0, now=NOW, custom_types=WISHLIST)
    assert not isinstance(result, ValidEvent)
    return result
