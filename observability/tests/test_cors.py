"""CORS on the public API: allowed origins only."""

import json

import pytest
from django.test import override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allowed_origin")]
SHOP = "https://shop.example.com"


@pytest.fixture
def allowed_origin():
    with override_settings(PZ_CORS_ALLOWED_ORIGINS=[SHOP]):
        yield


def preflight(client, origin, path="/api/v1/events"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )


def test_a_preflight_from_an_allowed_origin_is_answered(client):
    response = preflight(client, SHOP)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Content-Type" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_a_preflight_from_another_origin_is_refused(client):
    response = preflight(client, "https://evil.example.net")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_staff_endpoints_get_no_cors(client):
    response = preflight(client, SHOP, path="/api/v1/segments")
    assert "Access-Control-Allow-Origin" not in response


def test_actual_requests_name_only_allowed_origins(client):
    body = json.dumps({"visitor_id": "v1", "placements": ["home-hero"]})
    allowed = client.post("/api/v1/decide", body, content_type="application/json", HTTP_ORIGIN=SHOP)
    other = client.post(
        "/api/v1/decide",
        body,
        content_type="application/json",
        HTTP_ORIGIN="https://evil.example.net",
    )
    assert allowed["Access-Control-Allow-Origin"] == SHOP
    assert "Access-Control-Allow-Origin" not in other
    assert "Origin" in other["Vary"]
