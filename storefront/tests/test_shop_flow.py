"""A shopper's journey through the demo shop and the events it leaves behind."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from catalog.models import Product
from tracking.models import Event, VisitorProfile
from tracking.services import known_profile

pytestmark = pytest.mark.django_db
MOBILE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


@pytest.fixture
def products() -> list[Product]:
    return [
        Product.objects.create(
            product_id="SKU-1",
            title="Brass Desk Lamp",
            category="home/lighting",
            price=Decimal("49.90"),
        ),
        Product.objects.create(
            product_id="SKU-2",
            title="Linen Lamp Shade",
            category="home/lighting",
            price=Decimal("19.50"),
        ),
        Product.objects.create(
            product_id="SKU-3",
            title="Two-Person Tent",
            category="outdoor/tents",
            price=Decimal("199.00"),
        ),
    ]


def _visitor(client: Client) -> str:
    return client.get(reverse("storefront:cart")).wsgi_request.pz_visitor_id


def _events(visitor_id: str, event_type: str) -> list[Event]:
    return list(Event.objects.filter(visitor_id=visitor_id, type=event_type).order_by("id"))


def test_pages_render(client: Client, products: list[Product]) -> None:
    home = client.get("/")
    category = client.get("/c/home/")
    subcategory = client.get("/c/home/lighting/")
    product = client.get("/p/SKU-1/")

    assert home.status_code == 200
    assert b"pz/v1/pz.js" in home.content
    # No published placements yet: the slots stay empty, no marker is left behind.
    for page in (home, category, subcategory, product):
        assert b"<!--pz:placement:" not in page.content
    assert b"Two-Person Tent" in category.content or b"Brass Desk Lamp" in category.content
    assert b"Brass Desk Lamp" in subcategory.content
    assert b"Two-Person Tent" not in subcategory.content
    assert b'data-pz-product-id="SKU-1"' in product.content
    assert b'data-pz-category="home/lighting"' in product.content
    assert b'data-pz-price="49.90"' in product.content
    assert b"Linen Lamp Shade" in product.content  # same-category fallback
    assert client.get("/c/nothing-here/").status_code == 404


def test_browse_add_to_cart_and_checkout(client: Client, products: list[Product]) -> None:
    visitor_id = _visitor(client)
    client.get("/p/SKU-1/")

    added = client.post(
        reverse("storefront:cart-add"),
        {"product_id": "SKU-1", "quantity": 2},
        HTTP_USER_AGENT=MOBILE_UA,
        HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9,en;q=0.5",
    )
    client.post(reverse("storefront:cart-add"), {"product_id": "SKU-3", "quantity": 1})
    cart = client.get(reverse("storefront:cart"))
    checkout = client.get(reverse("storefront:checkout"))
    placed = client.post(reverse("storefront:checkout"))
    done = client.get(placed.url)

    assert added.status_code == 302
    assert b"Brass Desk Lamp" in cart.content
    assert checkout.status_code == 200
    assert placed.status_code == 302
    assert done.status_code == 200
    [first_add, _] = _events(visitor_id, "add_to_cart")
    assert first_add.properties == {
        "product_id": "SKU-1",
        "quantity": 2,
        "price": 49.9,
        "category": "home/lighting",
    }
    assert first_add.context["device"] == "mobile"
    assert first_add.context["country"] == "AT"
    assert first_add.context["logged_in"] is False
    [start] = _events(visitor_id, "checkout_start")
    assert start.properties["value"] == 298.8
    [purchase] = _events(visitor_id, "purchase")
    assert purchase.properties["revenue"] == 298.8
    assert purchase.properties["order_id"] in placed.url
    assert purchase.event_id is not None
    assert {item["product_id"]: item["quantity"] for item in purchase.properties["items"]} == {
        "SKU-1": 2,
        "SKU-3": 1,
    }
    profile = VisitorProfile.objects.get(visitor_id=visitor_id)
    assert profile.orders == 1
    assert profile.revenue == pytest.approx(298.8)
    assert profile.cart_items == 0
    # The cart is empty now: a second submit places no second order.
    assert client.post(reverse("storefront:checkout")).url == reverse("storefront:cart")
    assert len(_events(visitor_id, "purchase")) == 1


def test_remove_from_cart(client: Client, products: list[Product]) -> None:
    visitor_id = _visitor(client)
    client.post(reverse("storefront:cart-add"), {"product_id": "SKU-2", "quantity": 3})

    client.post(reverse("storefront:cart-remove"), {"product_id": "SKU-2"})

    [removed] = _events(visitor_id, "remove_from_cart")
    assert removed.properties["quantity"] == 3
    assert b"Your cart is empty" in client.get(reverse("storefront:cart")).content
    assert VisitorProfile.objects.get(visitor_id=visitor_id).cart_items == 0


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client: Client) -> None:
    visitor_id = _visitor(client)

    response = client.get(reverse("storefront:checkout"))

    assert response.url == reverse("storefront:cart")
    assert _events(visitor_id, "checkout_start") == []


def test_server_events_join_the_trackers_session(client: Client, products: list[Product]) -> None:
    visitor_id = _visitor(client)
    client.cookies["pz_sid"] = "0b1c2d3e-tab-session"

    client.post(reverse("storefront:cart-add"), {"product_id": "SKU-1", "quantity": 1})

    assert _events(visitor_id, "add_to_cart")[0].session_id == "0b1c2d3e-tab-session"


def test_login_stitches_the_anonymous_visitor(client: Client, products: list[Product]) -> None:
    known = known_profile("12347")
    anonymous_id = _visitor(client)
    client.post(reverse("storefront:cart-add"), {"product_id": "SKU-1", "quantity": 1})

    response = client.post(reverse("storefront:login"), {"customer_id": "12347"})

    assert response.status_code == 302
    assert response.cookies[settings.PZ_VISITOR_COOKIE].value.startswith(f"{known.visitor_id}:")
    assert _visitor(client) == known.visitor_id  # the new cookie is signed and trusted
    assert Event.objects.filter(visitor_id=anonymous_id).count() == 0
    assert {e.type for e in Event.objects.filter(visitor_id=known.visitor_id)} == {
        "add_to_cart",
        "login",
    }
    assert not VisitorProfile.objects.filter(visitor_id=anonymous_id).exists()
    known.refresh_from_db()
    assert known.cart_items == 1
    assert b"Customer 12347" in client.get("/").content


def test_login_of_a_new_customer_keeps_the_visitor_id(client: Client) -> None:
    visitor_id = _visitor(client)

    response = client.post(reverse("storefront:login"), {"customer_id": "99999"})

    assert settings.PZ_VISITOR_COOKIE not in response.cookies
    assert known_profile("99999").visitor_id == visitor_id


def test_another_customer_on_the_same_browser_gets_a_fresh_visitor(client: Client) -> None:
    first_id = _visitor(client)
    client.post(reverse("storefront:login"), {"customer_id": "11111"})
    client.cookies.pop("sessionid")  # the session expired, the visitor cookie did not

    client.post(reverse("storefront:login"), {"customer_id": "22222"})

    second_id = _visitor(client)
    assert second_id != first_id
    assert known_profile("11111").visitor_id == first_id
    assert known_profile("22222").visitor_id == second_id


def test_login_rejects_a_malformed_customer_number(client: Client) -> None:
    response = client.post(reverse("storefront:login"), {"customer_id": "12 34<"})

    assert response.status_code == 200
    assert not Event.objects.filter(type="login").exists()


def test_logout_starts_a_new_anonymous_visitor(client: Client) -> None:
    known = known_profile("12347")
    client.post(reverse("storefront:login"), {"customer_id": "12347"})

    client.post(reverse("storefront:logout"))

    assert _visitor(client) != known.visitor_id
    assert b"Sign in" in client.get("/").content


def test_search_emits_a_search_event(client: Client, products: list[Product]) -> None:
    visitor_id = _visitor(client)

    response = client.get(reverse("storefront:search"), {"q": "lamp"})
    client.get(reverse("storefront:search"), {"q": "  "})

    assert b"Brass Desk Lamp" in response.content
    assert b"Linen Lamp Shade" in response.content
    assert b"Two-Person Tent" not in response.content
    [search] = _events(visitor_id, "search")
    assert search.properties == {"query": "lamp", "results": 2}


def test_unknown_product_is_404(client: Client, products: list[Product]) -> None:
    assert client.get("/p/NOPE/").status_code == 404
    response = client.post(reverse("storefront:cart-add"), {"product_id": "NOPE", "quantity": 1})
    assert response.status_code == 404
    assert not Event.objects.exists()


def test_cart_post_requires_a_csrf_token(products: list[Product]) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/p/SKU-1/")

    forged = client.post(reverse("storefront:cart-add"), {"product_id": "SKU-1", "quantity": 1})
    genuine = client.post(
        reverse("storefront:cart-add"),
        {
            "product_id": "SKU-1",
            "quantity": 1,
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
    )

    assert forged.status_code == 403
    assert genuine.status_code == 302
    assert Event.objects.filter(type="add_to_cart").count() == 1


def test_login_redirects_only_to_this_site(client: Client) -> None:
    local = client.post(reverse("storefront:login"), {"customer_id": "1", "next": "/cart/"})
    foreign = client.post(
        reverse("storefront:login"), {"customer_id": "1", "next": "https://evil.example/"}
    )

    assert local.url == "/cart/"
    assert foreign.url == reverse("storefront:home")
