"""Unmatched URLs under /api/ answer the API's JSON error shape (API.md), not Django's HTML
page; the storefront keeps its HTML pages. pytest-django runs with DEBUG=False, so the
project's handler404 and handler500 are the ones used, as in production."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path

from config import urls as site_urls

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a bug")


# The site's URLs plus a failing view inside and outside the API, for the 500 tests.
urlpatterns = [path("api/v1/boom", boom), path("boom/", boom), *site_urls.urlpatterns]
handler404, handler500 = site_urls.handler404, site_urls.handler500


def test_tests_run_with_debug_off():
    assert settings.DEBUG is False


@pytest.mark.parametrize(
    "url",
    ["/api/v1/nope", "/api/v1/segments/%C2%84", "/api/v2/segments", "/api/"],
)
def test_an_unmatched_api_url_answers_the_json_error_shape(client, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "fields": {}}
    }


def test_an_unmatched_api_url_answers_json_for_any_method(client):
    response = client.post("/api/v1/nope", data="{}", content_type="application/json")

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_an_unmatched_api_url_answers_json_to_a_session_without_a_csrf_token(
    client, django_user_model
):
    staff = django_user_model.objects.create_user("s", password="x-pw-12345", is_staff=True)
    client.force_login(staff)
    client.handler.enforce_csrf_checks = True

    response = client.patch(
        "/api/v1/experiments/%C2%84", data="{}", content_type="application/json"
    )

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_missing_object_keeps_the_views_own_error(staff_client):
    response = staff_client.get("/api/v1/segments/no-such-segment")

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("url", ["/no-such-page/", "/apikey/", "/p/sku-1/extra/"])
def test_a_storefront_url_keeps_the_html_page(client, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"find that page" in response.content  # the shop's own page, with its header
    assert b"Back to the shop" in response.content


@pytest.mark.urls(__name__)
def test_a_server_error_under_api_answers_json():
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/boom")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"code": "server_error", "message": "Server error.", "fields": {}}
    }
    assert b"a bug" not in response.content


@pytest.mark.urls(__name__)
def test_a_server_error_elsewhere_keeps_the_html_page():
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"Something went wrong on our side" in response.content
    assert b"a bug" not in response.content
