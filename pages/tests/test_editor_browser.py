"""Done when: an editor personalizes a block of the home page in the Wagtail editor and
previews it per segment, without code (Chromium)."""

import pytest

from pages.models import HomePage
from pages.tests.factories import home_page
from segments.services import segment_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor(browser, live_server, django_user_model, settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    segment_save(
        key="vip", name="VIP customers", rule={"field": "profile.orders", "op": "gt", "value": 5}
    )
    django_user_model.objects.create_superuser(username="ed", password="pw-ed-12345")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "ed")
    page.fill("#id_password", "pw-ed-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page
    context.close()


def add_block(scope, name: str) -> None:
    """Click the scope's (last) "Insert a block" button and choose `name`."""
    page = scope.page
    scope.locator("button[title='Insert a block']").last.click()
    page.get_by_role("option", name=name, exact=True).last.click()


def test_an_editor_personalizes_the_home_hero_and_previews_it_per_segment(editor, live_server):
    home = home_page([{"type": "heading", "value": "Hello"}])
    page = editor
    page.goto(f"{live_server.url}/admin/pages/{home.pk}/edit/")
    add_block(page.locator("[data-contentpath='body']"), "Personalized content")
    page.fill("#body-1-value-name", "Home hero")
    fallback = page.locator("[data-contentpath='fallback']")
    add_block(fallback, "Hero")
    fallback.locator("input[id$='-heading']").fill("Welcome, everyone")

    variants = page.locator("[data-contentpath='variants']")
    variants.locator("button[title='Add']").click()
    page.fill("#body-1-value-variants-0-value-key", "vip")
    page.get_by_label("VIP customers").first.check()  # "In any of these segments"
    content = variants.locator("[data-contentpath='content']")
    add_block(content, "Hero")
    content.locator("input[id$='-heading']").fill("Hello again, VIP")
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("text=Page 'Home' has been updated.")

    page.click("button[aria-label='Toggle preview']")
    page.wait_for_selector("#id_preview_mode")
    # The panel has posted the form (kept for previews in the session) once it loaded.
    page.wait_for_selector("#w-preview-iframe[src*='in_preview_panel']", state="attached")
    modes = page.locator("#id_preview_mode option").all_inner_texts()
    assert "As segment: VIP customers" in modes and "On mobile" in modes
    assert "Hello again, VIP" in preview_in_new_tab(page, "segment:vip")
    assert "Welcome, everyone" in preview_in_new_tab(page, "")

    # The draft is not live: visitors still get the published page.
    saved = HomePage.objects.get(pk=home.pk)
    assert saved.has_unpublished_changes
    block = saved.latest_revision.as_object().body[1].value
    assert block["variants"][0]["audience"]["segments_any"] == ["vip"]


def preview_in_new_tab(page, mode: str) -> str:
    """Choose the preview mode, then "Preview in new tab" (the draft, as that audience)."""
    page.select_option("#id_preview_mode", mode)
    href = page.locator("[data-w-preview-target=newTab]").get_attribute("href")
    assert f"mode={mode}".replace(":", "%3A") in href
    tab = page.context.new_page()
    tab.goto(f"{page.url.split('/admin/')[0]}{href}" if href.startswith("/") else href)
    text = tab.locator("main").inner_text(timeout=20000)
    tab.close()
    return text
