"""Cached-page mode: the HTML carries each block's fallback in a slot, is publicly
cacheable and sets no cookie; pz.js fills the slots with one decide (browser test in
test_cached_pages_browser.py)."""

import pytest
from django.conf import settings

from pages.block_catalog import block_key
from pages.tests.factories import home_page, personalized

pytestmark = pytest.mark.django_db


@pytest.fixture
def page():
    hero = personalized(
        "Hero", "Welcome", [("mobile", {"device": "mobile"}, "On the go")], min_height=310
    )
    return home_page([hero], cached_mode=True)


def test_the_cached_html_is_the_same_for_everyone_and_sets_no_cookie(client, page):
    first = client.get("/")
    assert first.status_code == 200
    assert "public" in first["Cache-Control"] and "max-age=300" in first["Cache-Control"]
    assert settings.PZ_VISITOR_COOKIE not in first.cookies
    assert "Cookie" not in first.get("Vary", "")
    html = first.content.decode()
    key = block_key(page.pk, page.body[0].id)
    assert f'data-pz-slot="{key}" data-pz-pending' in html
    assert 'class="pz-slot pz-h-320"' in html  # the reserved height, rounded up
    assert "Welcome" in html and "On the go" not in html
    assert 'data-fill-slots="true" data-anti-flicker-ms="300"' in html
    phone = client.get("/", HTTP_USER_AGENT="Mozilla/5.0 (iPhone; Mobile)")
    assert phone.content == first.content


def test_the_slots_are_filled_by_one_decide(api_client, page):
    key = block_key(page.pk, page.body[0].id)
    response = api_client.post(
        "/api/v1/decide", {"placements": [key], "context": {"device": "mobile"}}, format="json"
    )
    assert response.status_code == 200
    assert "On the go" in response.json()["placements"][key]["html"]
    assert settings.PZ_VISITOR_COOKIE in response.cookies  # the visitor comes from here
