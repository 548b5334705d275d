"""The demo content `load_demo` publishes: idempotent by key, targeted by priority, with a
scheduled weekend sale."""

from datetime import UTC, datetime, timedelta

import pytest
from wagtail.models import Revision

from content.models import Component, Placement
from demo.content import load_demo_content
from demo.segments import load_demo_segments
from personalization.services import decide
from segments.models import Segment

pytestmark = pytest.mark.django_db
THURSDAY = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HERO_AND_BANNER = ["home-hero", "site-banner", "category-top", "site-popup"]


@pytest.fixture
def demo():
    load_demo_segments()
    return load_demo_content(now=THURSDAY)


def _decide(segments: list[str], now: datetime = THURSDAY, **context: str):
    return decide(
        visitor_id=None,
        placement_keys=HERO_AND_BANNER,
        context=context,
        now=now,
        forced_segments=segments,
    ).placements


def test_a_fresh_install_gets_published_placements(demo):
    assert {p.key for p in demo.placements} == {
        "home-hero",
        "site-banner",
        "home-recs",
        "pdp-below-fold",
        "cart-recs",
        "category-top",
        "site-popup",
    }
    assert all(p.live and p.live_revision_id for p in Placement.objects.all())
    assert all(c.live and c.live_revision_id for c in Component.objects.all())
    hero = Placement.objects.get(key="home-hero")
    assert [v.key for v in hero.variants.all() if v.is_fallback] == ["default"]
    assert len(hero.variants.all()) >= 4


def test_loading_again_changes_nothing(demo):
    revisions = Revision.objects.count()

    again = load_demo_content(now=THURSDAY)

    assert (again.components_published, again.placements_published) == (0, 0)
    assert Revision.objects.count() == revisions
    assert Component.objects.count() == len({c.key for c in Component.objects.all()})


def test_loading_again_restores_edited_content_by_key(demo):
    hero = Component.objects.get(key="hero-welcome")
    hero.body = [("hero", {"heading": "Edited", "theme": "dark"})]
    hero.save()
    hero.save_revision().publish()

    again = load_demo_content(now=THURSDAY)

    assert again.components_published == 1
    assert Component.objects.filter(key="hero-welcome").count() == 1
    assert Component.objects.get(key="hero-welcome").body[0].value["heading"] != "Edited"


def test_the_most_valuable_audience_wins_the_hero(demo):
    everyone = ["champions", "lapsed-high-value", "cart-abandoners", "christmas-shoppers"]

    assert _decide(everyone, device="mobile")["home-hero"].variant == "vip"
    assert _decide(everyone[1:])["home-hero"].variant == "win-back"
    assert _decide(everyone[2:])["home-hero"].variant == "basket"
    assert _decide(["christmas-shoppers"], device="mobile")["home-hero"].variant == "christmas"
    assert _decide([], device="mobile")["home-hero"].variant == "mobile"
    assert _decide([], device="desktop")["home-hero"].variant == "default"


def test_vip_content_resolves_its_placeholders(demo):
    placements = _decide(["champions"])

    assert placements["home-hero"].data["heading"] == "Welcome back, friend"
    assert "THANKYOU15" in placements["home-hero"].html
    assert placements["site-banner"].variant == "vip"
    assert placements["category-top"].variant == "vip"
    assert placements["site-popup"] is None


def test_cart_abandoners_get_a_discount_banner(demo):
    banner = _decide(["cart-abandoners"])["site-banner"]

    assert banner.variant == "basket"
    assert "COMEBACK10" in banner.html and "10% off" in banner.html
    assert "{{" not in banner.html


def test_the_weekend_sale_runs_on_the_weekend_only(demo):
    saturday = THURSDAY + timedelta(days=2)
    monday = THURSDAY + timedelta(days=4)

    sale = _decide([], now=saturday)["site-banner"]

    assert sale.variant == "weekend-sale"
    assert "WEEKEND20" in sale.html and "20% off everything until 30 November 2026" in sale.html
    assert _decide([], now=THURSDAY)["site-banner"].variant == "default"
    assert _decide([], now=monday)["site-banner"].variant == "default"


def test_lapsed_customers_get_a_delayed_popup(demo):
    popup = _decide(["lapsed-high-value"])["site-popup"]

    assert popup.kind == "popup"
    assert 'data-pz-delay="4"' in popup.html and " hidden" in popup.html
    assert "MISSYOU20" in popup.html


def test_missing_segments_publish_nothing():
    with pytest.raises(ValueError, match="champions"):
        load_demo_content()

    assert not Placement.objects.exists()
    assert not Segment.objects.exists()
