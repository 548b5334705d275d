"""Content-Security-Policy on storefront pages, not on the admin."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_storefront_pages_carry_the_policy(client):
    response = client.get("/account/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("style-src-attr")[0]


def test_the_admin_keeps_its_own_policy(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_json_responses_carry_no_policy(client):
    assert "Content-Security-Policy" not in client.get("/healthz")


@override_settings(PZ_CSP_REPORT_ONLY=True)
def test_report_only_mode(client):
    response = client.get("/account/login/")
    assert "Content-Security-Policy-Report-Only" in response
    assert "Content-Security-Policy" not in response
