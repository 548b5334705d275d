"""Two real browsers on the live shop: a desktop shopper with a full basket and a first-time
mobile visitor see different heroes, and pz.js reports impressions and clicks back."""

import time
from decimal import Decimal

import pytest

from catalog.models import Product
from content.tests.factories import component, placement
from segments.services import segment_save
from tracking.models import Event
from tracking.services import ingest_events

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
MOBILE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
HERO = '[data-pz-placement="home-hero"]'


@pytest.fixture
def shop(settings):
    """A product, a basket segment and a home hero with basket, mobile and default variants."""
    settings.PZ_MIN_SEGMENT_SIZE = 1
    Product.objects.create(
        product_id="SKU-1",
        title="Brass Desk Lamp",
        category="home/lighting",
        price=Decimal("49.90"),
    )
    segment_save(
        key="basket-fillers",
        name="Basket fillers",
        rule={"field": "profile.cart.items", "op": "gt", "value": 0},
    )
    ingest_events(  # a first member, so the segment is large enough to target
        [{"type": "add_to_cart", "visitor_id": "v-seed", "properties": {"product_id": "SKU-1"}}]
    )
    placement(
        "home-hero",
        [
            {
                "key": "default",
                "component": component("hero-welcome", heading="Welcome to the shop"),
                "is_fallback": True,
            },
            {
                "key": "basket",
                "component": component(
                    "hero-basket",
                    heading="Your basket is waiting",
                    cta_text="Back to my basket",
                    cta_url="/cart/",
                ),
                "priority": 300,
                "segments_any": ["basket-fillers"],
            },
            {
                "key": "mobile",
                "component": component("hero-mobile", heading="Shopping on the go?"),
                "priority": 100,
                "context_rule": {"field": "context.device", "op": "eq", "value": "mobile"},
            },
        ],
    )


def _wait_for(query, *, timeout: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query():
            return True
        time.sleep(0.2)
    return False


def _hero_events(event_type: str, **properties: str):
    lookups = {f"properties__{name}": value for name, value in properties.items()}
    return Event.objects.filter(type=event_type, properties__placement="home-hero", **lookups)


def test_two_visitors_see_different_heroes_and_are_tracked(browser, live_server, shop):
    desktop = browser.new_context(user_agent=DESKTOP_UA, viewport={"width": 1280, "height": 800})
    mobile = browser.new_context(
        user_agent=MOBILE_UA, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    shopper, newcomer = desktop.new_page(), mobile.new_page()

    shopper.goto(f"{live_server.url}/p/SKU-1/")
    shopper.click("form.add-form button[type=submit]")
    shopper.wait_for_url("**/cart/")
    shopper.goto(f"{live_server.url}/")
    newcomer.goto(f"{live_server.url}/")

    assert shopper.inner_text(f"{HERO} h1") == "Your basket is waiting"
    assert shopper.get_attribute(HERO, "data-pz-variant") == "basket"
    assert newcomer.inner_text(f"{HERO} h1") == "Shopping on the go?"
    assert newcomer.get_attribute(HERO, "data-pz-variant") == "mobile"

    # pz.js batches events and flushes after 2 s, or on pagehide.
    assert _wait_for(lambda: _hero_events("impression").count() >= 2)
    assert set(_hero_events("impression").values_list("properties__variant", flat=True)) >= {
        "basket",
        "mobile",
    }

    shopper.click(f"{HERO} a.pz-button")
    shopper.wait_for_url("**/cart/")

    assert _wait_for(lambda: _hero_events("click", variant="basket").exists())
    click = _hero_events("click", variant="basket").get()
    assert click.properties["component"] == "hero-basket"
    assert click.properties["href"] == "/cart/"
    desktop.close()
    mobile.close()
