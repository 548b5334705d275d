"""Variant selection by segment, context, priority and schedule; fallback; the decide API."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from content.tests.factories import component, placement
from personalization.services import decide
from segments.services import segment_save
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hero_setup(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    segment_save(
        key="carters", name="Carters", rule={"field": "profile.cart.items", "op": "gt", "value": 0}
    )
    segment_save(
        key="buyers",
        name="Buyers",
        rule={"field": "profile.orders", "op": "gt", "value": 0},
        placeholder_values={"discount_code": "BUYER5"},
    )
    fallback = component("hero-default", heading="Welcome")
    carters = component("hero-cart", heading="Still thinking?")
    mobile = component("hero-mobile", heading="On the go")
    buyers = component(
        "hero-buyers",
        kind="offer",
        heading='Thanks {{ visitor.first_name|default:"friend" }}',
        code="{{ segment.discount_code }}",
    )
    placement(
        "home-hero",
        [
            {"key": "default", "component": fallback, "is_fallback": True},
            {"key": "cart", "component": carters, "priority": 200, "segments_any": ["carters"]},
            {
                "key": "mobile",
                "component": mobile,
                "priority": 100,
                "context_rule": {"field": "context.device", "op": "eq", "value": "mobile"},
            },
            {"key": "buyers", "component": buyers, "priority": 150, "segments_any": ["buyers"]},
        ],
    )


def test_unknown_visitor_gets_the_fallback(hero_setup):
    result = decide(visitor_id="new-visitor", placement_keys=["home-hero", "nope"], context={})
    hero = result.placements["home-hero"]
    assert (hero.variant, hero.reason.label, hero.component) == (
        "default",
        "fallback",
        "hero-default",
    )
    assert "Welcome" in hero.html and 'data-pz-placement="home-hero"' in hero.html
    assert result.placements["nope"] is None


def test_segment_variant_wins_by_priority(hero_setup):
    ingest_events([{"type": "add_to_cart", "visitor_id": "v1", "properties": {"product_id": "A"}}])
    result = decide(visitor_id="v1", placement_keys=["home-hero"], context={"device": "mobile"})
    hero = result.placements["home-hero"]
    assert (hero.variant, hero.reason.label) == ("cart", "segment:carters")
    assert "carters" in result.segments


def test_context_rule_targets_mobile(hero_setup):
    result = decide(visitor_id="v2", placement_keys=["home-hero"], context={"device": "mobile"})
    assert (
        result.placements["home-hero"].variant,
        result.placements["home-hero"].reason.label,
    ) == (
        "mobile",
        "context",
    )


def test_placeholders_resolve_from_the_whitelist(hero_setup):
    ingest_events(
        [{"type": "purchase", "visitor_id": "v3", "properties": {"order_id": "1", "revenue": 5}}]
    )
    hero = decide(visitor_id="v3", placement_keys=["home-hero"], context={}).placements["home-hero"]
    assert hero.variant == "buyers"
    assert hero.data["heading"] == "Thanks friend"
    assert hero.data["code"] == "BUYER5"


@pytest.mark.time_sensitive  # the schedule is relative to now
def test_schedule_limits_a_variant(hero_setup):
    from content.models import Placement

    obj = Placement.objects.get(key="home-hero")
    cart = obj.variants.get(key="cart")
    cart.starts_at = timezone.now() + timedelta(days=1)
    cart.save()
    ingest_events([{"type": "add_to_cart", "visitor_id": "v4", "properties": {"product_id": "A"}}])
    hero = decide(visitor_id="v4", placement_keys=["home-hero"], context={}).placements["home-hero"]
    assert hero.variant == "default"
    later = decide(
        visitor_id="v4",
        placement_keys=["home-hero"],
        context={},
        now=timezone.now() + timedelta(days=2),
    )
    assert later.placements["home-hero"].variant == "cart"


def test_the_decide_api_contract(hero_setup, server_api_client):
    response = server_api_client.post(
        "/api/v1/decide",
        data=json.dumps(
            {
                "visitor_id": "v9",
                "placements": ["home-hero", "ghost"],
                "context": {
                    "device": "mobile",
                    "country": "DE",
                    "url": "/?utm_source=mail",
                    "local_time": "2026-11-26T19:30:00+01:00",
                },
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["visitor_id"] == "v9" and isinstance(body["segments"], list)
    hero = body["placements"]["home-hero"]
    assert set(hero) >= {"component", "variant", "reason", "html", "data"}
    assert body["placements"]["ghost"] is None
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"placements": []}, "placements"),
        ({"placements": "home-hero"}, "placements"),
        ({"placements": ["bad key!"]}, "placements"),
        ({"visitor_id": "x y", "placements": ["home-hero"]}, "visitor_id"),
        ({"placements": ["home-hero"], "context": {"country": "Germany"}}, "context"),
        ({"placements": ["home-hero"], "context": {"shoe": "44"}}, "context"),
    ],
)
def test_bad_decide_input_is_a_400(client, body, field):
    response = client.post("/api/v1/decide", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_placements_list_hides_targets_from_the_public(hero_setup, client, staff_client):
    public = client.get("/api/v1/placements").json()
    assert public[0]["key"] == "home-hero"
    assert {"key": "default", "fallback": True} in public[0]["variants"]
    assert all(set(v) == {"key", "fallback"} for v in public[0]["variants"])
    staff = staff_client.get("/api/v1/placements").json()
    cart = next(v for v in staff[0]["variants"] if v["key"] == "cart")
    assert cart["segments"] == ["carters"]
