"""Every create form with a key fills the key from the name, as Wagtail fills a slug."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CREATE_VIEWS = [
    "wagtailsnippets_content_component:add",
    "wagtailsnippets_content_placement:add",
    "wagtailsnippets_triggers_emailtemplate:add",
    "wagtailsnippets_triggers_couponoffer:add",
    "triggers:add",
    "segments:add",
    "experiments:add",
    "wagtailsnippets_pages_pagevariant:add",
]


@pytest.mark.parametrize("view", CREATE_VIEWS)
def test_typing_a_name_fills_the_key(marketer, live_server, view):
    page = marketer
    page.goto(live_server.url + reverse(view))
    page.locator("#id_name").fill("Winter sale banner")
    page.locator("#id_name").press("Tab")
    expect(page.locator("#id_key")).to_have_value("winter-sale-banner")
