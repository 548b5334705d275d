"""Each per-event validation rule of the ingest API, on the pure validator."""

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
        ({"properties": {"product_id": "SKU-1", "note": "x" * 1001}}, "properties"),
        ({"properties": {"product_id": "SKU-1", "a": {"b": {"c": {"d": 1}}}}}, "properties"),
        ({"properties": {"product_id": "SKU-1", "bad key!": 1}}, "properties"),
        ({"properties": {"product_id": "SKU-1", "n": float("nan")}}, "properties"),
        ({"properties": {"product_id": "SKU-1", "o": object()}}, "properties"),
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
    assert batch.rejected[0]["errors"] == {"type": "unknown event type"}
