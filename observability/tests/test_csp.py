"""Content-Security-Policy on storefront pages, not on the admin."""

import re

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db
STYLE_ATTRIBUTE = re.compile(rb"<[^>]*\sstyle\s*=", re.IGNORECASE)


def test_storefront_pages_carry_the_policy(client):
    response = client.get("/account/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_storefront_pages_have_no_inline_styles(demo_shop, client):
    client.post("/cart/add/", {"product_id": "SKU-1", "quantity": 1})
    for path in ("/", "/c/home/", "/p/SKU-1/", "/search?q=lamp", "/cart/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"Brass Desk Lamp" in response.content, path
        assert not STYLE_ATTRIBUTE.search(response.content), path
        assert "unsafe-inline" not in response["Content-Security-Policy"], path


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


# Collects violations from the first script on, before the page's own scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chromium_reports_no_policy_violations(browser, live_server, demo_shop):
    page = browser.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    for path in ("/", "/p/SKU-1/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response and response.ok, path
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__cspViolations") == [], path
    assert [text for text in console if "Content Security Policy" in text] == []
    page.close()
