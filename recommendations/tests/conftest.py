"""A tiny shop with hand-checkable neighbours, ingested through the tracking pipeline.

Purchases (one order each, days ago): u1 tent+stove+lamp, u2 tent+stove, u3 tent+stove,
u6 tent+lamp+wreath (all GB, desktop); u4 and u5 mug+tea (FR, mobile). Late in the
window u2 also buys tea, so the temporal holdout has a test visitor. "tarp" is in
the catalogue only (never bought) and shares words with the tent.
"""

from datetime import UTC, datetime, timedelta

import pytest

from catalog.models import Product
from recommendations import serving
from recommendations.services import train_recommender
from tracking.services import ingest_events

PRODUCTS = {
    "tent": ("Camping tent for two", "outdoor/tents"),
    "stove": ("Gas stove", "outdoor/cooking"),
    "lamp": ("Lantern lamp", "outdoor/lighting"),
    "mug": ("Enamel mug", "kitchen/mugs"),
    "tea": ("Breakfast tea", "kitchen/tea"),
    "wreath": ("Holly wreath", "seasonal/christmas"),
    "tarp": ("Camping tent tarp", "outdoor/tents"),
}
ORDERS = [
    ("u1", 40, ["tent", "stove", "lamp"], "GB", "desktop"),
    ("u2", 38, ["tent", "stove"], "GB", "desktop"),
    ("u3", 36, ["tent", "stove"], "GB", "desktop"),
    ("u6", 34, ["tent", "lamp", "wreath"], "GB", "desktop"),
    ("u4", 32, ["mug", "tea"], "FR", "mobile"),
    ("u5", 30, ["mug", "tea"], "FR", "mobile"),
    ("u2", 2, ["tea"], "GB", "desktop"),
]
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def purchase(visitor: str, days_ago: float, items: list[str], country="GB", device="desktop"):
    return {
        "type": "purchase",
        "visitor_id": visitor,
        "timestamp": iso(NOW - timedelta(days=days_ago)),
        "properties": {
            "order_id": f"{visitor}-{days_ago}",
            "revenue": 10.0,
            "items": [{"product_id": p, "quantity": 1, "price": 5.0} for p in items],
        },
        "context": {"country": country, "device": device},
    }


def event(event_type: str, visitor: str, product: str, days_ago: float = 0.01) -> dict:
    return {
        "type": event_type,
        "visitor_id": visitor,
        "timestamp": iso(NOW - timedelta(days=days_ago)),
        "properties": {"product_id": product, "price": 5.0},
    }


@pytest.fixture(autouse=True)
def _at_now(time_machine):
    """The tiny shop's events are days before NOW, so its tests run at NOW, not on the
    suite's pinned date: a recent view stays recent whatever that date is."""
    time_machine.move_to(NOW)


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    """Ingest like the API does, running the after-commit work (profile cache, signals)."""

    def run(events: list[dict]):
        with django_capture_on_commit_callbacks(execute=True):
            return ingest_events(events, now=NOW)

    return run


@pytest.fixture(autouse=True)
def _recommender_settings(settings):
    settings.PZ_RECOMMENDER_VERSION_CHECK_SECONDS = 0
    settings.PZ_RECOMMENDER_CATALOG_CHECK_SECONDS = 0
    settings.PZ_RECOMMENDER_MIN_CONTEXT_USERS = 1
    settings.PZ_RECOMMENDER_SEASONS = {}
    settings.PZ_RECOMMENDER_TRAINING = {
        "ease_l2": 1.0,
        "knn_neighbours": 10,
        "content_neighbours": 10,
        "bought_together_neighbours": 10,
    }
    serving.reset()
    yield
    serving.reset()


@pytest.fixture
def shop(db, ingest):
    Product.objects.bulk_create(
        Product(product_id=pid, title=title, category=category, price="5.00")
        for pid, (title, category) in PRODUCTS.items()
    )
    result = ingest([purchase(v, d, items, c, dev) for v, d, items, c, dev in ORDERS])
    assert result.accepted == len(ORDERS)


@pytest.fixture
def trained(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return train_recommender(now=NOW)
