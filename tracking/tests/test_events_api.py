"""POST /api/v1/events: partial acceptance, idempotency, consent gating and hostile bodies."""

import json

import pytest
from django.test import override_settings

from tracking.models import Event, VisitorProfile
from tracking.tests.factories import make_event, with_event_id

URL = "/api/v1/events"
pytestmark = pytest.mark.django_db


def post(client, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **extra)


def test_valid_events_are_accepted_and_invalid_ones_reported_by_index(server_api_client):
    response = post(
        server_api_client,
        {"events": [make_event(), {"type": "nope", "visitor_id": "v1"}, make_event("search")]},
    )
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    assert body["dropped_no_consent"] == 0
    [rejection] = body["rejected"]
    assert rejection["index"] == 1
    assert rejection["errors"]["type"].startswith("unknown event type 'nope'; register it")
    assert Event.objects.count() == 2
    assert VisitorProfile.objects.get(visitor_id="v1").counters == {"product_view": 1, "search": 1}


def test_resending_an_event_id_is_a_no_op(server_api_client):
    event = with_event_id(make_event("purchase"))
    first = post(server_api_client, {"events": [event, event]})
    second = post(server_api_client, {"events": [event]})
    assert first.json()["duplicates"] == 1 and second.json()["duplicates"] == 1
    assert Event.objects.count() == 1
    assert VisitorProfile.objects.get(visitor_id="v1").orders == 1


def test_events_without_tracking_consent_are_counted_and_not_stored(server_api_client):
    server_api_client.post(
        "/api/v1/consent",
        data=json.dumps({"visitor_id": "shy", "tracking": False}),
        content_type="application/json",
    )
    response = post(
        server_api_client, {"events": [make_event(visitor_id="shy"), make_event(visitor_id="v2")]}
    )
    assert response.json()["accepted"] == 1
    assert response.json()["dropped_no_consent"] == 1
    assert not Event.objects.filter(visitor_id="shy").exists()
    assert VisitorProfile.objects.get(visitor_id="shy").events_count == 0


@override_settings(PZ_DEFAULT_CONSENT={"tracking": False, "personalization": False})
def test_default_consent_setting_applies_to_new_visitors(server_api_client):
    response = post(server_api_client, {"events": [make_event(visitor_id="newcomer")]})
    assert response.json()["dropped_no_consent"] == 1
    assert not VisitorProfile.objects.filter(visitor_id="newcomer").exists()


def test_missing_visitor_id_uses_the_cookie_visitor(client):
    event = make_event()
    del event["visitor_id"]
    response = post(client, {"events": [event]})
    assert response.json()["accepted"] == 1
    cookie_id = response.cookies["pz_vid"].value.split(":")[0]
    assert Event.objects.get().visitor_id == cookie_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "body"),
        ('{"events": [', "body"),
        ("[" * 50_000 + "]" * 50_000, "body"),
        ('{"events": NaN}', "body"),
        (b"\xff\xfe\x00", "body"),
        ("[]", "body"),  # not an object: the parser refuses it on every endpoint
        ("{}", "events"),
        ('{"events": {"type": "page_view"}}', "events"),
        ('{"events": "' + "x" * 10_000 + '"}', "events"),
    ],
)
def test_malformed_bodies_are_400_naming_the_field(client, body, field):
    response = post(client, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_more_than_1000_events_is_a_400(server_api_client):
    response = post(server_api_client, {"events": [make_event()] * 1001})
    assert response.status_code == 400
    assert "events" in response.json()["error"]["fields"]
    assert Event.objects.count() == 0


def test_a_full_batch_of_1000_is_accepted(server_api_client):
    response = post(
        server_api_client, {"events": [make_event(visitor_id=f"v{i % 50}") for i in range(1000)]}
    )
    assert response.json()["accepted"] == 1000
    assert Event.objects.count() == 1000


@override_settings(PZ_MAX_BODY_BYTES=10_000)
def test_oversize_body_is_413(client):
    response = post(client, {"events": [make_event(properties={"product_id": "x" * 20_000})]})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_huge_strings_and_deep_properties_reject_only_that_event(server_api_client):
    hostile = make_event(properties={"product_id": "SKU-1", "blob": "y" * 100_000})
    deep = make_event(properties={"product_id": "SKU-1", "a": [[[[1]]]]})
    response = post(server_api_client, {"events": [hostile, deep, make_event()]})
    body = response.json()
    assert response.status_code == 202
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [0, 1]


def test_wrong_content_type_is_a_clear_error(client):
    response = client.post(URL, data="events=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@override_settings(PZ_RATE_LIMITS={"events": 3, "consent": 0, "decide": 0, "recommendations": 0})
def test_rate_limit_per_client_is_429_with_retry_after(server_api_client):
    codes = [post(server_api_client, {"events": [make_event()]}).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    limited = post(server_api_client, {"events": [make_event()]})
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    other = post(server_api_client, {"events": [make_event()]}, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 202
