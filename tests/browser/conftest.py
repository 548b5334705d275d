"""The signed-in admin page the marketer's browser tests share."""

import pytest
from wagtail.models import Page


@pytest.fixture
def marketer(browser, live_server, django_user_model, demo_shop, settings):
    """A superuser's admin page in Chromium over the demo shop; fails the test on any page
    script error."""
    settings.PZ_MIN_SEGMENT_SIZE = 0
    # The admin home needs Wagtail's root page, which a live-server test's flush removes.
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    django_user_model.objects.create_superuser(username="mia", password="pw-mia-123")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(8000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill("pw-mia-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page
    assert errors == []
    page.close()
