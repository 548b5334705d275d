"""POST /api/v1/consent records choices; the default comes from a setting."""

import json

import pytest
from django.test import override_settings

from tracking.models import VisitorProfile

pytestmark = pytest.mark.django_db


def post(client, body):
    return client.post("/api/v1/consent", data=json.dumps(body), content_type="application/json")


def test_consent_is_stored_and_echoed(server_api_client):
    response = post(
        server_api_client, {"visitor_id": "v1", "tracking": True, "personalization": False}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["visitor_id"] == "v1"
    assert (body["tracking"], body["personalization"]) == (True, False)
    assert body["updated_at"].endswith("Z") or "+" in body["updated_at"]
    profile = VisitorProfile.objects.get(visitor_id="v1")
    assert (profile.consent_tracking, profile.consent_personalization) == (True, False)


@override_settings(PZ_DEFAULT_CONSENT={"tracking": False, "personalization": True})
def test_an_omitted_purpose_falls_back_to_the_default(server_api_client):
    body = post(server_api_client, {"visitor_id": "v1", "personalization": False}).json()
    assert (body["tracking"], body["personalization"]) == (False, False)


def test_updating_one_purpose_keeps_the_other(server_api_client):
    post(server_api_client, {"visitor_id": "v1", "tracking": False, "personalization": False})
    body = post(server_api_client, {"visitor_id": "v1", "tracking": True}).json()
    assert (body["tracking"], body["personalization"]) == (True, False)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visitor_id": "bad id!", "tracking": True}, "visitor_id"),
        ({"visitor_id": "v1", "tracking": "yes"}, "tracking"),
        ({"visitor_id": "v1", "personalization": 1}, "personalization"),
        ({"visitor_id": "v1", "marketing": True}, "marketing"),
        (["v1"], "body"),
    ],
)
def test_bad_consent_input_is_a_400_naming_the_field(server_api_client, body, field):
    response = post(server_api_client, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not VisitorProfile.objects.exists()


def test_without_visitor_id_the_cookie_visitor_is_used(client):
    response = post(client, {"tracking": False})
    assert response.status_code == 200
    cookie_id = response.cookies["pz_vid"].value.split(":")[0]
    assert response.json()["visitor_id"] == cookie_id
