"""Per-variant metrics from a hand-made event set: exact counts, the 7-day conversion
window, the `since` bound and the upsert of `VariantStats`."""

from datetime import UTC, datetime, timedelta

import pytest

from content.metrics import refresh_variant_stats
from content.models import VariantStats
from content.tasks import refresh_variant_stats_task
from tracking.models import Event

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=30)


def event(kind: str, visitor: str, at: datetime, **properties: object) -> Event:
    return Event(visitor_id=visitor, type=kind, timestamp=at, received_at=at, properties=properties)


def shown(visitor: str, at: datetime, variant: str, placement: str = "home-hero") -> Event:
    return event("impression", visitor, at, placement=placement, variant=variant, component="c")


def clicked(visitor: str, at: datetime, variant: str, placement: str = "home-hero") -> Event:
    return event("click", visitor, at, placement=placement, variant=variant, href="/")


def bought(visitor: str, at: datetime, revenue: float) -> Event:
    return event("purchase", visitor, at, order_id=f"{visitor}-{at:%j%H}", revenue=revenue)


@pytest.fixture
def two_visitors() -> None:
    """Visitor a sees `default` twice and buys twice within 7 days (and once before);
    visitor b sees `default` and `cart` and buys only after 10 days."""
    hour = timedelta(hours=1)
    Event.objects.bulk_create(
        [
            bought("a", T0 - timedelta(days=1), 999.0),  # before any impression
            shown("a", T0, "default"),
            clicked("a", T0 + timedelta(minutes=5), "default"),
            shown("a", T0 + hour, "default"),
            clicked("a", T0 + hour + timedelta(minutes=5), "default"),
            shown("b", T0, "cart"),
            clicked("b", T0 + timedelta(minutes=1), "cart"),
            shown("b", T0 + 2 * hour, "default"),
            clicked("b", T0 + 2 * hour, "default"),
            bought("a", T0 + timedelta(days=3), 50.0),
            bought("a", T0 + timedelta(days=6), 20.0),
            bought("b", T0 + timedelta(days=10), 80.0),  # outside both 7-day windows
            event("impression", "c", T0, placement="home-hero"),  # no variant: ignored
            event("page_view", "a", T0),
        ]
    )


def stats(placement: str, variant: str) -> VariantStats:
    return VariantStats.objects.get(placement_key=placement, variant_key=variant)


def test_metrics_are_counted_per_variant(two_visitors):
    result = refresh_variant_stats(now=NOW)

    assert result.variants == 2
    default = stats("home-hero", "default")
    assert (default.impressions, default.viewers, default.clicks) == (3, 2, 3)
    assert (default.conversions, default.revenue) == (1, 70.0)
    assert default.ctr == 1.0 and default.conversion_rate == 0.5
    assert default.computed_at == NOW
    cart = stats("home-hero", "cart")
    assert (cart.impressions, cart.viewers, cart.clicks, cart.conversions, cart.revenue) == (
        1,
        1,
        1,
        0,
        0.0,
    )


def test_a_purchase_on_day_seven_counts_and_later_ones_do_not(two_visitors):
    Event.objects.bulk_create([bought("b", T0 + 2 * timedelta(hours=1) + timedelta(days=7), 5.0)])

    refresh_variant_stats(now=NOW)

    assert (stats("home-hero", "default").conversions, stats("home-hero", "default").revenue) == (
        2,
        75.0,
    )
    assert stats("home-hero", "cart").conversions == 0  # b first saw `cart` two hours earlier


def test_since_bounds_the_window_and_drops_stale_rows(two_visitors):
    refresh_variant_stats(now=NOW)

    refresh_variant_stats(since=T0 + timedelta(minutes=90), now=NOW)

    default = stats("home-hero", "default")
    assert (default.impressions, default.viewers, default.clicks, default.conversions) == (
        1,
        1,
        1,
        0,
    )
    assert not VariantStats.objects.filter(variant_key="cart").exists()


def test_refreshing_twice_updates_in_place(two_visitors):
    refresh_variant_stats(now=NOW)
    Event.objects.bulk_create([shown("d", T0 + timedelta(days=1), "cart")])

    refresh_variant_stats(now=NOW)

    assert VariantStats.objects.count() == 2
    assert (stats("home-hero", "cart").impressions, stats("home-hero", "cart").viewers) == (2, 2)


def test_the_task_refreshes_everything(two_visitors):
    assert refresh_variant_stats_task() == 2
    assert stats("home-hero", "default").impressions == 3
