"""The shop's pages with the demo content: each slot filled for the visitor in one pass."""

import pytest
from django.test import Client

import personalization.services

pytestmark = [pytest.mark.django_db, pytest.mark.time_sensitive]
MOBILE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
# The demo's weekend sale takes the site banner from Saturday 00:00 to Monday 00:00.
WEDNESDAY = "2026-12-09T10:00:00+00:00"
SATURDAY = "2026-12-05T10:00:00+00:00"


@pytest.fixture
def staff_browser(django_user_model) -> Client:
    client = Client()
    client.force_login(
        django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    )
    return client


def _variant(html: str, placement: str) -> str | None:
    marker = f'data-pz-placement="{placement}" data-pz-variant="'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split('"', 1)[0]


@pytest.mark.time_machine(WEDNESDAY)
def test_a_first_time_mobile_visitor_sees_the_mobile_hero(demo_shop, client):
    html = client.get("/", HTTP_USER_AGENT=MOBILE_UA).content.decode()

    assert _variant(html, "home-hero") == "mobile"
    assert "Shopping on the go?" in html
    assert _variant(html, "site-banner") == "default"
    assert _variant(html, "home-recs") == "default"
    assert _variant(html, "site-popup") is None
    assert "vip-badge" not in html


@pytest.mark.time_machine(WEDNESDAY)
def test_a_first_time_desktop_visitor_sees_the_welcome_hero(demo_shop, client):
    html = client.get("/").content.decode()

    assert _variant(html, "home-hero") == "default"
    assert "Free shipping on orders over" in html


@pytest.mark.time_machine(SATURDAY)
def test_on_a_saturday_a_first_time_visitor_sees_the_weekend_sale(demo_shop, client):
    html = client.get("/", HTTP_USER_AGENT=MOBILE_UA).content.decode()

    assert _variant(html, "site-banner") == "weekend-sale"
    assert "WEEKEND20" in html
    assert _variant(html, "home-hero") == "mobile"


def test_previewing_as_a_champion_shows_the_vip_pages(demo_shop, staff_browser):
    home = staff_browser.get("/?pz_preview_segments=champions").content.decode()
    category = staff_browser.get("/c/home/?pz_preview_segments=champions").content.decode()

    assert _variant(home, "home-hero") == "vip"
    assert "Welcome back, friend" in home and "THANKYOU15" in home
    assert _variant(home, "site-banner") == "vip"
    assert _variant(category, "category-top") == "vip"


def test_previewing_as_lapsed_shows_the_win_back_popup(demo_shop, staff_browser):
    html = staff_browser.get("/?pz_preview_segments=lapsed-high-value").content.decode()

    assert _variant(html, "home-hero") == "win-back"
    assert 'class="pz-popup"' in html and 'data-pz-delay="4"' in html


def test_category_pages_have_a_call_to_action(demo_shop, client, staff_browser):
    guest = client.get("/c/home/").content.decode()
    christmas = staff_browser.get("/c/home/?pz_preview_segments=christmas-shoppers")

    assert _variant(guest, "category-top") == "default"
    assert "Shopped with us before?" in guest
    assert _variant(christmas.content.decode(), "category-top") == "christmas"
    assert "Your Christmas delivery guide" in christmas.content.decode()


def test_product_and_cart_recommendations_know_the_page(demo_shop, client, monkeypatch):
    asked = []

    def recommendation_items(**kwargs):
        asked.append(kwargs)
        return [{"product_id": "SKU-1", "score": 0.9, "title": "Brass Desk Lamp"}]

    monkeypatch.setattr(personalization.services, "recommendation_items", recommendation_items)

    product = client.get("/p/SKU-1/").content.decode()
    client.post("/cart/add/", {"product_id": "SKU-1", "quantity": 1})
    cart = client.get("/cart/").content.decode()

    assert [(a["strategy"], a["context"].get("product_id")) for a in asked] == [
        ("similar", "SKU-1"),
        ("bought_together", None),
    ]
    assert _variant(product, "pdp-below-fold") == "default"
    assert 'href="/p/SKU-1/"' in product
    assert _variant(cart, "cart-recs") == "default"
    assert "Goes well with your basket" in cart
