"""The Wagtail admin works under its Content-Security-Policy in a real browser."""

import pytest

from observability.tests.test_csp import RECORD_VIOLATIONS, script_src


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_wagtail_admin_works_under_its_policy(browser, live_server, django_user_model):
    """The dashboard, a snippet edit form (StreamField, Draftail) and the segment rule
    builder load, and the builder works, with no violation of the admin policy."""
    from wagtail.models import Locale, Page

    from content.tests.factories import component

    Locale.objects.get_or_create(language_code="en")
    if Page.get_first_root_node() is None:  # flushed by an earlier transactional test
        Page.add_root(instance=Page(title="Root", slug="root"))
    django_user_model.objects.create_superuser("csp-admin", "a@example.com", "pw-csp-123")
    hero = component("csp-hero")
    page = browser.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "csp-admin")
    page.fill("input[name=password]", "pw-csp-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    for path in (
        "/admin/",
        f"/admin/snippets/content/component/edit/{hero.pk}/",
        "/admin/triggers/new/",
        "/admin/segments/new/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response and response.ok, (path, response.status, page.content()[-3000:])
        assert "'unsafe-inline'" not in script_src(response.headers["content-security-policy"])
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__cspViolations") == [], path
    # The rule builder is scripted: it draws its tree and adds a condition.
    page.locator("[data-rule-builder] .rb-add").first.click()
    page.wait_for_timeout(500)
    assert page.locator("[data-rb-tree] select, [data-rb-tree] input").count() > 0
    assert page.evaluate("window.__cspViolations") == []
    assert [text for text in console if "Content Security Policy" in text] == []
    page.close()
