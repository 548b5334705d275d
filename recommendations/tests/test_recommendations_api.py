"""GET /api/v1/recommendations: the public contract, its 400s and the staff endpoints."""

import pytest

from recommendations.models import RecommenderModel

URL = "/api/v1/recommendations"
pytestmark = pytest.mark.django_db


def test_the_contract_shape(trained, server_api_client):
    response = server_api_client.get(URL, {"visitor_id": "u1", "k": 2, "strategy": "personal"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"strategy", "items", "fallback"}
    assert body["strategy"] == "personal" and body["fallback"] is False
    assert len(body["items"]) == 2
    assert {"product_id", "score"} <= set(body["items"][0])
    assert isinstance(body["items"][0]["score"], float)
    assert response["Cache-Control"] == "private, no-store"


def test_defaults_are_personal_top_10(trained, api_client):
    body = api_client.get(URL).json()

    assert body["strategy"] == "personal" and body["fallback"] is True
    assert len(body["items"]) == 7  # the whole (tiny) catalogue


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"k": "0"}, "k"),
        ({"k": "many"}, "k"),
        ({"k": "51"}, "k"),
        ({"strategy": "magic"}, "strategy"),
        ({"visitor_id": "not valid!"}, "visitor_id"),
        ({"visitor_id": "x" * 65}, "visitor_id"),
        ({"strategy": "similar"}, "product_id"),
        ({"strategy": "similar", "product_id": "<script>"}, "product_id"),
        ({"segment": "not a slug"}, "segment"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(trained, api_client, params, field):
    response = api_client.get(URL, params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


def test_an_unknown_product_falls_back_to_popular(trained, api_client):
    response = api_client.get(URL, {"strategy": "similar", "product_id": "SKU-GONE", "k": 1})

    assert response.status_code == 200
    body = response.json()
    assert body.pop("visitor_id") and body.pop("visitor_token")  # a browser caller's own
    assert body == {
        "strategy": "similar",
        "items": [
            {"product_id": "tent", "score": 1.0, "title": "Camping tent for two", "price": 5.0}
        ],
        "fallback": True,
    }


def test_without_any_model_the_answer_is_an_empty_fallback(db, api_client):
    body = api_client.get(URL, {"strategy": "popular"}).json()

    assert {k: body[k] for k in ("strategy", "items", "fallback")} == {
        "strategy": "popular",
        "items": [],
        "fallback": True,
    }


def test_the_endpoint_is_rate_limited(trained, api_client, settings):
    settings.PZ_RATE_LIMITS = {**settings.PZ_RATE_LIMITS, "recommendations": 2}

    codes = [api_client.get(URL).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_the_schema_documents_the_parameters(db, api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/recommendations"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"visitor_id", "k", "strategy", "product_id", "segment"} <= names
    assert {"200", "400", "429"} <= set(operation["responses"])


def test_staff_can_list_versions_and_train_now(
    shop, staff_client, api_client, django_capture_on_commit_callbacks
):
    assert api_client.post("/api/v1/recommendations/train").status_code in (401, 403)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/api/v1/recommendations/train")

    assert response.status_code == 202
    assert RecommenderModel.objects.get().is_active  # eager Celery in tests
    versions = staff_client.get("/api/v1/recommendations/models").json()
    assert versions[0]["version"] == 1 and "personal" in versions[0]["metrics"]["strategies"]
