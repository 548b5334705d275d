"""Synthetic, seeded storefront traffic in the shape the tracker sends to
`POST /api/v1/events`. Pure Python: no Django, so other benchmarks can reuse it.

Visitors browse in sessions; a session opens with a landing page carrying the full
context (device, country, referrer, UTM) and continues with views, searches, clicks and
cart moves. Each visitor's generator keeps a cart, so removals and purchases name
products the visitor added. All events of all visitors are merged in time order, as a
collector forwarding its buffer would send them.
"""

import random
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Share of events by type; page_view + product_view is 60%.
EVENT_MIX = {
    "page_view": 25,
    "product_view": 35,
    "search": 10,
    "click": 10,
    "add_to_cart": 9,
    "remove_from_cart": 3,
    "checkout_start": 4,
    "purchase": 4,
}
CATEGORIES = (
    "outdoor/tents",
    "outdoor/backpacks",
    "outdoor/sleeping-bags",
    "apparel/jackets",
    "apparel/shoes",
    "apparel/t-shirts",
    "kitchen/cookware",
    "kitchen/knives",
    "electronics/headphones",
    "electronics/cameras",
    "home/lighting",
    "home/textiles",
)
SEARCH_TERMS = ("tent", "rain jacket", "running shoes", "headphones", "chef knife", "lamp")
PLACEMENTS = ("home-hero", "pdp-recommendations", "cart-upsell", "category-banner")
DEVICES = ("mobile", "mobile", "desktop", "tablet")
COUNTRIES = ("DE", "FR", "GB", "US", "NL", "ES", "IT", "PL")
REFERRERS = ("", "https://www.google.com/", "https://www.instagram.com/", "https://news.example/")
UTM_SOURCES = ("newsletter", "google", "instagram")
EVENT_ID_SHARE = 0.10
ID_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True)
class Product:
    product_id: str
    category: str
    price: float


def catalog(rng: random.Random, size: int = 400) -> list[Product]:
    return [
        Product(f"sku-{n:05d}", rng.choice(CATEGORIES), round(rng.uniform(5, 400), 2))
        for n in range(size)
    ]


def _visitor_id(rng: random.Random) -> str:
    return "".join(rng.choice(ID_ALPHABET) for _ in range(22))


def _event_type(rng: random.Random) -> str:
    return rng.choices(list(EVENT_MIX), weights=list(EVENT_MIX.values()))[0]


class _Visitor:
    def __init__(self, rng: random.Random, products: list[Product]):
        self.rng = rng
        self.products = products
        self.visitor_id = _visitor_id(rng)
        self.device = rng.choice(DEVICES)
        self.country = rng.choice(COUNTRIES)
        self.cart: dict[str, Product] = {}
        self.orders = 0

    def product(self) -> Product:
        return self.rng.choice(self.products)

    def event(self, event_type: str) -> tuple[str, dict[str, Any]]:
        """The event's type and properties; cart moves fall back to a view when the
        cart cannot support them (nothing to remove, nothing to buy)."""
        rng = self.rng
        if event_type in {"remove_from_cart", "checkout_start"} and not self.cart:
            event_type = "product_view"
        if event_type == "page_view":
            return event_type, {"path": f"/c/{rng.choice(CATEGORIES)}", "title": "Category"}
        if event_type == "product_view":
            p = self.product()
            return event_type, {
                "product_id": p.product_id,
                "category": p.category,
                "price": p.price,
            }
        if event_type == "search":
            return event_type, {"query": rng.choice(SEARCH_TERMS), "results": rng.randint(0, 80)}
        if event_type == "click":
            p = self.product()
            return event_type, {
                "placement": rng.choice(PLACEMENTS),
                "product_id": p.product_id,
                "category": p.category,
            }
        if event_type == "add_to_cart":
            p = self.product()
            self.cart[p.product_id] = p
            quantity = rng.choice((1, 1, 1, 2))
            return event_type, {
                "product_id": p.product_id,
                "category": p.category,
                "price": p.price,
                "quantity": quantity,
            }
        if event_type == "remove_from_cart":
            product_id = rng.choice(sorted(self.cart))
            p = self.cart.pop(product_id)
            return event_type, {"product_id": p.product_id, "category": p.category}
        if event_type == "checkout_start":
            return event_type, {"items": len(self.cart)}
        # purchase: 1 to 4 lines, from the cart first
        lines = list(self.cart.values())[:4]
        while len(lines) < rng.randint(1, 4):
            lines.append(self.product())
        items = [
            {
                "product_id": p.product_id,
                "category": p.category,
                "price": p.price,
                "quantity": rng.choice((1, 1, 2)),
            }
            for p in lines
        ]
        self.cart.clear()
        self.orders += 1
        return event_type, {
            "order_id": f"{self.visitor_id[:8]}-{self.orders}",
            "revenue": round(sum(i["price"] * i["quantity"] for i in items), 2),
            "currency": "EUR",
            "items": items,
        }


def _session_context(rng: random.Random, visitor: _Visitor) -> dict[str, Any]:
    context: dict[str, Any] = {
        "device": visitor.device,
        "country": visitor.country,
        "locale": "en-GB",
        "url": "https://shop.example/",
    }
    referrer = rng.choice(REFERRERS)
    if referrer:
        context["referrer"] = referrer
    if rng.random() < 0.2:
        context.update(
            utm_source=rng.choice(UTM_SOURCES), utm_medium="email", utm_campaign="spring-sale"
        )
    return context


def generate_events(
    *, seed: int, visitors: int, events: int, now: datetime, span: timedelta = timedelta(days=7)
) -> list[dict[str, Any]]:
    """`events` raw events from `visitors` visitors, timestamped within `span` before
    `now`, in time order. Same seed and counts give the same events (relative to now)."""
    rng = random.Random(seed)
    products = catalog(rng)
    crowd = [_Visitor(rng, products) for _ in range(visitors)]
    span_seconds = span.total_seconds() - 3600  # sessions last under an hour
    stream: list[tuple[float, int, dict[str, Any]]] = []
    session_number = 0
    while len(stream) < events:
        visitor = rng.choice(crowd)
        session_number += 1
        session_id = f"s{session_number}.{visitor.visitor_id[:8]}"
        offset = rng.uniform(0, span_seconds)
        context = _session_context(rng, visitor)
        for position in range(min(rng.randint(3, 15), events - len(stream))):
            event_type = "page_view" if position == 0 else _event_type(rng)
            event_type, properties = visitor.event(event_type)
            offset += rng.uniform(5, 180)
            at = now - span + timedelta(seconds=offset)
            event: dict[str, Any] = {
                "type": event_type,
                "visitor_id": visitor.visitor_id,
                "session_id": session_id,
                "timestamp": at.isoformat().replace("+00:00", "Z"),
                "properties": properties,
                "context": context if position == 0 else {"url": "https://shop.example/p"},
            }
            if rng.random() < EVENT_ID_SHARE:
                event["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            stream.append((offset, len(stream), event))
    stream.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in stream]


def batches(events: list[Any], size: int) -> list[list[Any]]:
    return [events[start : start + size] for start in range(0, len(events), size)]
