"""The API's JSON parser on every endpoint: bodies no endpoint takes are a 400 in the
error shape (a list where an object is expected, invalid Unicode text) and oversize
staff bodies the API's 413 JSON."""

import json

import pytest
from django.test import override_settings

from segments.models import Segment

pytestmark = pytest.mark.django_db


def send(client, method, url, raw: bytes):
    return getattr(client, method)(url, data=raw, content_type="application/json")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/segments"),
        ("put", "/api/v1/segments/buyers"),
        ("post", "/api/v1/segments/preview"),
        ("post", "/api/v1/experiments"),
    ],
)
@pytest.mark.parametrize("body", [b"[]", b'[{"key": "x"}]', b'"text"', b"1", b"null"])
def test_a_non_object_body_is_a_400_on_staff_endpoints(staff_client, method, url, body):
    Segment.objects.create(key="buyers", name="Buyers", kind="rule", rule={})
    response = send(staff_client, method, url, body)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"body": "must be an object"}


@pytest.mark.parametrize("url", ["/api/v1/events", "/api/v1/consent", "/api/v1/decide"])
def test_a_non_object_body_is_a_400_on_public_endpoints(server_api_client, url):
    response = send(server_api_client, "post", url, b"[1, 2]")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\u0000"])
def test_invalid_text_in_a_staff_body_is_a_400_naming_its_path(staff_client, escape):
    raw = f'{{"key": "s1", "name": "S", "kind": "static", "description": "a{escape}"}}'.encode()
    response = send(staff_client, "post", "/api/v1/segments", raw)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["description"].startswith("must be")
    assert not Segment.objects.exists()


def test_a_surrogate_in_a_rule_is_refused_so_the_segment_reads_later(staff_client):
    rule = '{"field": "profile.attributes.city", "op": "eq", "value": "\\ud83d"}'
    raw = ('{"key": "s1", "name": "S", "kind": "rule", "rule": ' + rule + "}").encode()
    response = send(staff_client, "post", "/api/v1/segments", raw)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["rule"].startswith("value: ")


@pytest.mark.parametrize("number", ["1e999", "-1e999", str(2**64), "9007199254740993.5"])
def test_a_non_finite_or_absurd_number_is_a_400_naming_its_path(staff_client, number):
    rule = f'{{"events": {{"type": "purchase", "within": "7d"}}, "op": "gte", "value": {number}}}'
    raw = f'{{"rule": {rule}}}'.encode()
    response = send(staff_client, "post", "/api/v1/segments/preview", raw)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["rule"].startswith("value: ")


def test_a_valid_surrogate_pair_is_text(staff_client):
    raw = b'{"key": "s1", "name": "Tents \\ud83c\\udfd5", "kind": "static"}'
    response = send(staff_client, "post", "/api/v1/segments", raw)
    assert response.status_code == 201
    assert staff_client.get("/api/v1/segments/s1").json()["name"] == "Tents \U0001f3d5"


@override_settings(PZ_MAX_BODY_BYTES=10_000)
def test_an_oversize_staff_body_is_the_api_413(staff_client):
    body = json.dumps({"key": "s1", "name": "S", "kind": "static", "description": "x" * 20_000})
    response = send(staff_client, "post", "/api/v1/segments", body.encode())
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_staff_body_above_djangos_own_limit_is_the_api_413(staff_client, settings):
    # Django's DATA_UPLOAD_MAX_MEMORY_SIZE answers an HTML 400 when request.body is read.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.PZ_MAX_BODY_BYTES = 1000
    body = json.dumps({"key": "s1", "name": "S", "kind": "static", "description": "x" * 5000})
    response = send(staff_client, "post", "/api/v1/segments/preview", body.encode())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("field", ["url", "referrer"])
def test_decide_refuses_a_context_url_it_cannot_read(server_api_client, field):
    body = {"visitor_id": "v1", "placements": ["home-hero"], "context": {field: "http://[::1/p"}}
    response = send(server_api_client, "post", "/api/v1/decide", json.dumps(body).encode())
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]["context"]
