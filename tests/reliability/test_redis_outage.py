"""A Redis outage degrades personalization and never breaks a request: with the cache's
Redis killed or frozen, storefront pages and decide answer with fallback content within
their budget, and ingest stores every event it accepts.

Each test runs its own `redis-server` (tests/reliability/conftest.py) and kills it
(SIGKILL: connections are refused) or freezes it (SIGSTOP: connections hang until the
cache's socket timeout)."""

import time
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from catalog.models import Product
from content.tests.factories import component, placement
from segments.services import segment_save
from tests.reliability.conftest import wait_until
from tracking.models import Event
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db(transaction=True)

# What one request may take while Redis is down or hung: the first cache call pays one
# socket timeout (config/settings/base.py), then the breaker fails the rest at once.
PAGE_BUDGET_SECONDS = 1.0
API_BUDGET_SECONDS = 0.5


@pytest.fixture
def shop(settings):
    """A published home hero with a champions variant, a banner, and a product."""
    settings.PZ_MIN_SEGMENT_SIZE = 1
    segment_save(
        key="champions",
        name="Champions",
        rule={"field": "profile.orders", "op": "gt", "value": 0},
        placeholder_values={"discount_code": "THANKYOU15"},
    )
    placement(
        "home-hero",
        [
            {"key": "default", "component": component("hero-hello"), "is_fallback": True},
            {
                "key": "vip",
                "component": component("hero-vip", heading="VIP code THANKYOU15"),
                "priority": 500,
                "segments_any": ["champions"],
            },
        ],
    )
    placement(
        "site-banner",
        [
            {
                "key": "default",
                "component": component("free-shipping", kind="offer", heading="Free shipping"),
                "is_fallback": True,
            }
        ],
    )
    Product.objects.create(
        product_id="SKU-1",
        title="Brass Desk Lamp",
        category="home/lighting",
        price=Decimal("49.90"),
    )
    Product.objects.create(
        product_id="SKU-2",
        title="Linen Lamp Shade",
        category="home/lighting",
        price=Decimal("9.50"),
    )


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def _outage(server, how: str) -> None:
    if how == "killed":
        server.kill()
    else:
        server.freeze()


OUTAGES = ["killed", "frozen"]


@pytest.mark.parametrize("how", OUTAGES)
def test_pages_answer_with_fallback_content(shop, redis_cache_settings, how):
    client = Client()
    assert "Free shipping" in client.get("/").content.decode()  # warm, Redis up
    _outage(redis_cache_settings, how)

    home, home_seconds = timed(lambda: client.get("/"))
    product, product_seconds = timed(lambda: client.get("/p/SKU-1/"))

    assert home.status_code == 200
    assert product.status_code == 200
    assert 'data-pz-placement="home-hero"' in home.content.decode()
    assert "Free shipping" in home.content.decode()
    assert "Brass Desk Lamp" in product.content.decode()
    assert home_seconds < PAGE_BUDGET_SECONDS, home_seconds
    assert product_seconds < PAGE_BUDGET_SECONDS, product_seconds


@pytest.mark.parametrize("how", OUTAGES)
def test_decide_answers_with_fallback_content(shop, redis_cache_settings, server_api_client, how):
    _outage(redis_cache_settings, how)

    response, seconds = timed(
        lambda: server_api_client.post(
            "/api/v1/decide",
            {"visitor_id": "v-outage", "placements": ["home-hero", "site-banner"], "context": {}},
            format="json",
        )
    )

    assert response.status_code == 200
    body = response.json()
    assert body["placements"]["home-hero"]["variant"] == "default"
    assert "Free shipping" in body["placements"]["site-banner"]["html"]
    assert seconds < API_BUDGET_SECONDS, seconds


@pytest.mark.parametrize("how", OUTAGES)
def test_a_champion_still_gets_their_content_from_the_database(
    shop, redis_cache_settings, server_api_client, how
):
    """Profiles and memberships live in the database; the cache only speeds them up."""
    ingest_events(
        [
            {
                "type": "purchase",
                "visitor_id": "v-champ",
                "properties": {"order_id": "o1", "revenue": 90},
            }
        ]
    )
    _outage(redis_cache_settings, how)

    response = server_api_client.post(
        "/api/v1/decide",
        {"visitor_id": "v-champ", "placements": ["home-hero"], "context": {}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["placements"]["home-hero"]["variant"] == "vip"


@pytest.mark.parametrize("how", OUTAGES)
def test_ingest_stores_every_accepted_event(shop, redis_cache_settings, server_api_client, how):
    _outage(redis_cache_settings, how)
    events = [
        {
            "type": kind,
            "visitor_id": f"v-ingest-{index % 3}",
            "event_id": str(uuid.uuid4()),
            "properties": {"product_id": "SKU-1"} if kind != "page_view" else {},
        }
        for index, kind in enumerate(["page_view", "product_view", "add_to_cart"] * 4)
    ]

    response, seconds = timed(
        lambda: server_api_client.post("/api/v1/events", {"events": events}, format="json")
    )

    if response.status_code == 503:
        assert response["Retry-After"]
        assert Event.objects.count() == 0
    else:
        assert response.status_code == 202, response.content
        body = response.json()
        assert body["accepted"] == len(events) and body["rejected"] == []
        stored = set(Event.objects.values_list("event_id", flat=True))
        assert stored == {uuid.UUID(e["event_id"]) for e in events}
    assert seconds < PAGE_BUDGET_SECONDS, seconds


@pytest.mark.parametrize("how", OUTAGES)
def test_an_outage_costs_one_timeout_then_calls_fail_fast_until_redis_is_back(
    redis_cache_settings, monkeypatch, how
):
    from django.core.cache import cache

    from observability import cache_breaker

    monkeypatch.setattr(cache_breaker, "OPEN_SECONDS", 1.0)
    cache.set("probe", "up")
    _outage(redis_cache_settings, how)

    assert cache.get("probe") is None and cache_breaker.is_open()
    _, next_seconds = timed(lambda: [cache.get("probe") for _ in range(50)])
    assert next_seconds < 0.05, next_seconds  # 50 misses without touching the socket

    if how == "frozen":
        redis_cache_settings.thaw()
        assert wait_until(lambda: cache.get("probe") == "up", timeout=5)
        assert not cache_breaker.is_open()
