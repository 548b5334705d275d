"""Content-Security-Policy on storefront pages, and the admins' own policy."""

import re

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db
STYLE_ATTRIBUTE = re.compile(rb"<[^>]*\sstyle\s*=", re.IGNORECASE)


def script_src(policy: str) -> str:
    return next(d.strip() for d in policy.split(";") if d.strip().startswith("script-src"))


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


@pytest.mark.parametrize("path", ["/admin/login/", "/django-admin/login/"])
def test_the_admins_carry_their_own_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert script_src(policy) == "script-src 'self'" and "object-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy


def test_only_wagtail_widget_initializers_are_allowed_inline_by_hash():
    from observability.csp import widget_script_hashes

    widget = '<script>new SnippetChooser("id_popup", {"modalUrl": "/admin/x/"});</script>'
    date = '<script>initDateChooser("id_at_0", {"dayOfWeekStart": 0});</script>'
    injected = [
        "<script>alert(1)</script>",
        '<script>new SnippetChooser("id_popup", {}); alert(1);</script>',
        '<script>new SnippetChooser("id_popup", {"a": alert(1)});</script>',
        '<script>new SnippetChooser("x\\"+alert(1)+\\"", {});</script>',
    ]
    assert len(widget_script_hashes(widget + date)) == 2
    for script in injected:
        assert widget_script_hashes(script) == [], script
    assert widget_script_hashes('<script type="application/json">{"a": 1}</script>') == []


def test_an_admin_page_with_a_chooser_allows_just_its_initializers(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("a", "a@e.com", "pw"))
    response = client.get("/admin/triggers/new/")
    directive = script_src(response["Content-Security-Policy"])
    assert directive.startswith("script-src 'self' 'sha256-")
    assert "'unsafe-inline'" not in directive


def test_the_api_docs_keep_no_policy(staff_client):
    assert "Content-Security-Policy" not in staff_client.get("/api/v1/docs/")


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
