"""Writes of the demo shop: the session cart, checkout, search and the demo login.

Server-side shop events (add_to_cart, remove_from_cart, checkout_start, purchase, search,
login) are built here and stored through `tracking.services.ingest_events`, the one
ingest path. Browsing events (page_view, product_view, click, impression) come from
pz.js only, so no event is ever emitted from both sides.
"""

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from catalog.models import Product
from storefront import selectors
from storefront.selectors import CART_SESSION_KEY, Cart
from tracking.selectors import resolve_visitor_id
from tracking.services import IngestResult, demo_event_id, ingest_events, new_visitor_id

MAX_LINE_QUANTITY = 99
CUSTOMER_SESSION_KEY = "pz_customer_id"
LAST_ORDER_SESSION_KEY = "pz_last_order"


@dataclass(frozen=True)
class EventSource:
    """Who and where a server-side event comes from."""

    visitor_id: str
    session_id: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    gpc: bool = False  # the browser sent Global Privacy Control / DNT


@dataclass(frozen=True)
class Order:
    order_id: str
    revenue: Decimal
    items: int


def _emit(
    source: EventSource, event_type: str, properties: dict[str, Any], **extra: Any
) -> IngestResult:
    event: dict[str, Any] = {
        "type": event_type,
        "properties": properties,
        "context": source.context,
        **extra,
    }
    if source.session_id:
        event["session_id"] = source.session_id
    return ingest_events([event], default_visitor_id=source.visitor_id, gpc=source.gpc)


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _line_item(product: Product, quantity: int) -> dict[str, Any]:
    return {
        "product_id": product.product_id,
        "quantity": quantity,
        "price": _money(product.price),
        "category": product.category,
    }


def _cart_quantities(session: SessionBase) -> dict[str, int]:
    stored = session.get(CART_SESSION_KEY)
    return dict(stored) if isinstance(stored, dict) else {}


def add_to_cart(
    *, request_session: SessionBase, source: EventSource, product_id: str, quantity: int = 1
) -> int:
    """Put a product in the session cart and emit add_to_cart; returns the line's new
    quantity. Raises Product.DoesNotExist for an unknown product."""
    product = selectors.get_product(product_id)
    quantities = _cart_quantities(request_session)
    current = quantities.get(product.product_id, 0)
    added = max(0, min(quantity, MAX_LINE_QUANTITY - current))
    if added:
        quantities[product.product_id] = current + added
        request_session[CART_SESSION_KEY] = quantities
        _emit(source, "add_to_cart", _line_item(product, added))
    return current + added


def remove_from_cart(*, request_session: SessionBase, source: EventSource, product_id: str) -> bool:
    """Drop a line from the session cart and emit remove_from_cart; False if absent."""
    quantities = _cart_quantities(request_session)
    quantity = quantities.pop(product_id, 0)
    if not quantity:
        return False
    request_session[CART_SESSION_KEY] = quantities
    product = Product.objects.filter(product_id=product_id).first()
    properties = (
        _line_item(product, quantity)
        if product
        else {"product_id": product_id, "quantity": quantity}
    )
    _emit(source, "remove_from_cart", properties)
    return True


def start_checkout(*, request_session: SessionBase, source: EventSource) -> Cart:
    """Emit checkout_start for a non-empty cart; returns the cart to show."""
    cart = selectors.cart_contents(request_session)
    if cart.lines:
        _emit(
            source,
            "checkout_start",
            {
                "items": [_line_item(line.product, line.quantity) for line in cart.lines],
                "value": _money(cart.total),
            },
        )
    return cart


def place_order(*, request_session: SessionBase, source: EventSource) -> Order | None:
    """Turn the session cart into an order (a demo: no payment, no stock), emit purchase
    and empty the cart. None when the cart is empty, so a double submit orders nothing."""
    cart = selectors.cart_contents(request_session)
    if not cart.lines:
        return None
    order = Order(
        order_id=f"PZ-{secrets.token_hex(5).upper()}",
        revenue=cart.total.quantize(Decimal("0.01")),
        items=cart.quantity,
    )
    _emit(
        source,
        "purchase",
        {
            "order_id": order.order_id,
            "revenue": _money(order.revenue),
            "currency": "EUR",
            "items": [_line_item(line.product, line.quantity) for line in cart.lines],
        },
        event_id=demo_event_id("order", order.order_id),
    )
    request_session[CART_SESSION_KEY] = {}
    request_session[LAST_ORDER_SESSION_KEY] = {
        "order_id": order.order_id,
        "revenue": str(order.revenue),
        "items": order.items,
    }
    return order


def record_search(*, source: EventSource, query: str, results: int) -> None:
    if query.strip():
        _emit(source, "search", {"query": query.strip()[:200], "results": results})


def log_in(*, request_session: SessionBase, source: EventSource, customer_id: str) -> str:
    """Demo login by customer number: emit login, which stitches this browser's anonymous
    visitor to the known customer. Returns the visitor id the browser should carry from
    now on (the known customer's, when one already existed)."""
    visitor_id = source.visitor_id
    if selectors.belongs_to_another_customer(visitor_id, customer_id):
        # Someone else's browser history must not be merged into this customer.
        visitor_id = new_visitor_id()
    request_session.cycle_key()
    _emit(
        EventSource(visitor_id=visitor_id, session_id=source.session_id, context=source.context),
        "login",
        {"user_id": customer_id},
    )
    request_session[CUSTOMER_SESSION_KEY] = customer_id
    return resolve_visitor_id(visitor_id)


def log_out(*, request_session: SessionBase) -> str:
    """Forget the session (cart included) and return a fresh anonymous visitor id."""
    request_session.flush()
    return new_visitor_id()
