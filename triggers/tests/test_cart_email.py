"""The built-in cart-abandonment e-mail end to end: an anonymous visitor gives an address
with marketing consent, leaves a cart, gets the e-mail with the cart lines, three
recommended in-stock products and a unique code (also shown in their cart on the site);
one-click unsubscribe then stops the next send."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from catalog.models import Product
from core import clock
from tracking.services import ingest_events
from triggers.builtin import create_builtin_triggers
from triggers.models import Coupon, EmailSend, Firing, Trigger
from triggers.services import check_firing

pytestmark = pytest.mark.django_db

PRODUCTS = [
    ("SKU-1", "Brass Desk Lamp", "home/lighting", "49.90", True),
    ("SKU-2", "Linen Cushion", "home/textiles", "24.00", True),
    ("SKU-3", "Oak Side Table", "home/furniture", "129.00", True),
    ("SKU-4", "Beeswax Candle", "home/lighting", "8.50", True),
    ("SKU-5", "Wool Throw", "home/textiles", "59.00", True),
    ("SKU-6", "Sold-out Vase", "home/decor", "35.00", False),
]


def add_to_cart(visitor_id: str, product_id: str, quantity: int = 1) -> None:
    product = Product.objects.get(product_id=product_id)
    result = ingest_events(
        [
            {
                "type": "add_to_cart",
                "visitor_id": visitor_id,
                "properties": {
                    "product_id": product_id,
                    "category": product.category,
                    "price": float(product.price),
                    "quantity": quantity,
                },
            }
        ]
    )
    assert result.accepted == 1


@pytest.fixture
def shop(db):  # type: ignore[no-untyped-def]
    for product_id, title, category, price, in_stock in PRODUCTS:
        Product.objects.create(
            product_id=product_id,
            title=title,
            category=category,
            price=Decimal(price),
            in_stock=in_stock,
        )
    create_builtin_triggers(enabled=True)
    return Trigger.objects.get(key="cart-abandonment")


def abandon_cart(capture, visitor_id: str) -> Firing:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        add_to_cart(visitor_id, "SKU-1")
        add_to_cart(visitor_id, "SKU-2", quantity=2)
    firing = Firing.objects.filter(visitor_id=visitor_id, status="pending").get()
    with capture(execute=True):
        check_firing(firing_id=firing.pk, now=clock.now() + timedelta(minutes=31))
    firing.refresh_from_db()
    return firing


def test_the_cart_email_shows_the_cart_three_products_and_a_unique_code_then_unsubscribes(
    shop, api_client, client, django_capture_on_commit_callbacks
):
    # At checkout start the visitor gives an address and ticks "e-mail me offers".
    consent = api_client.post(
        "/api/v1/consent",
        {"marketing_email": True, "email": "ana@example.com"},
        format="json",
    )
    assert consent.status_code == 200 and consent.json()["marketing_email"] is True
    visitor_id = consent.json()["visitor_id"]

    firing = abandon_cart(django_capture_on_commit_callbacks, visitor_id)

    assert firing.status == "fired" and firing.delivered_at is not None
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    text = message.body
    assert message.to == ["ana@example.com"]
    assert message.subject == "Your cart at pz gift shop is waiting"
    # Cart lines: title, quantity, price, a link (through the click redirect).
    assert "Brass Desk Lamp" in html and "Linen Cushion" in html
    assert "- Linen Cushion x 2, £24.00" in text
    # Three recommended in-stock products, none from the cart.
    recommended = text.split("YOU MAY ALSO LIKE")[1].split("--")[0]
    titles = re.findall(r"^- (.+), £", recommended, flags=re.MULTILINE)
    assert len(titles) == 3
    assert not {"Brass Desk Lamp", "Linen Cushion", "Sold-out Vase"} & set(titles)
    # A unique code, issued to this visitor, in both parts.
    coupon = Coupon.objects.get(visitor_id=visitor_id)
    assert re.fullmatch(r"CART-[A-Z2-9]{8}", coupon.code)
    assert f"Your code: {coupon.code}" in text and coupon.code in html
    assert EmailSend.objects.get(firing=firing).coupon == coupon
    # CSS is inlined (mail clients drop <style>), and no template code leaks.
    assert 'style="' in html and "{{" not in html and "{%" not in text
    # The text part reads as a letter: greeting first, unsubscribe last.
    assert text.startswith("pz gift shop\n\nHi there,\n\nyou left something in your cart.")
    assert text.rstrip().splitlines()[-1].startswith("Unsubscribe: http://")
    # The code is shown to the visitor on the site.
    assert coupon.code in api_client.get("/cart/").content.decode()
    assert coupon.code not in client.get("/cart/").content.decode()  # another visitor

    # RFC 8058 one-click: the mail client POSTs the List-Unsubscribe URL, no login.
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200  # a page with a button; GET changes nothing
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"unsubscribed" in response.content

    Trigger.objects.filter(pk=shop.pk).update(frequency_cap_count=0)  # no cap in the way
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_to_cart(visitor_id, "SKU-3")
    second = Firing.objects.filter(visitor_id=visitor_id, status="pending").get()
    with django_capture_on_commit_callbacks(execute=True):
        check_firing(firing_id=second.pk, now=clock.now() + timedelta(minutes=31))
    second.refresh_from_db()
    assert mail.outbox == []
    assert second.status == "skipped" and "marketing" in second.reason


def test_an_anonymous_cart_without_an_address_and_consent_gets_no_email(
    shop, django_capture_on_commit_callbacks
):
    firing = abandon_cart(django_capture_on_commit_callbacks, "anon-2")

    assert firing.status == "skipped" and firing.reason.startswith("email address")
    assert mail.outbox == []


def test_a_forged_or_foreign_unsubscribe_token_changes_nothing(client):
    response = client.post("/email/unsubscribe/not-a-token/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400
