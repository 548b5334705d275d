"""The demo's Wagtail pages: the home page at `/`, a category landing and a campaign page
at the shop's own URLs, while the storefront's Django views keep theirs."""

import pytest

from demo.pages import load_demo_pages
from pages.models import HomePage, LandingPage
from personalization.services import decide

pytestmark = pytest.mark.django_db


def test_demo_pages_are_served_at_the_shops_urls(client, demo_shop):
    report = load_demo_pages()
    assert set(report.created) == {"/", "/christmas/", "/christmas-delivery/"}
    home = client.get("/")
    html = home.content.decode()
    assert home.status_code == 200
    assert "Gifts, home and little luxuries" in html  # the personalized hero's fallback
    assert 'data-pz-placement="block:' in html
    assert client.get("/christmas/").status_code == 200
    assert "Christmas delivery guide" in client.get("/christmas-delivery/").content.decode()
    assert client.get("/p/SKU-1/").status_code == 200  # Django views keep their URLs
    assert client.get("/cart/").status_code == 200


def test_loading_again_keeps_the_pages_and_their_edits(demo_shop):
    load_demo_pages()
    home = HomePage.objects.get()
    home.title = "Edited"
    home.save_revision().publish()
    assert load_demo_pages().created == []
    assert HomePage.objects.get().title == "Edited"
    assert LandingPage.objects.count() == 2


def test_a_vip_sees_the_vip_hero_on_the_demo_home(demo_shop, api_client):
    home = load_demo_pages().home
    key = f"block:{home.pk}:{home.body[0].id}"
    decision = decide(
        visitor_id=None, placement_keys=[key], context={}, forced_segments=["champions"]
    )
    assert decision.placements[key].variant == "vip"
