"""Unique codes: one per visitor and offer however sends race, pool first then
generated, expiry renewed, redemption recorded from purchase events."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError

from core import clock
from tracking.services import ingest_events
from triggers.models import Coupon, CouponOffer
from triggers.services import coupons
from triggers.services.coupons import coupon_pool_add, issue_coupon, record_redemptions

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer() -> CouponOffer:
    return CouponOffer.objects.create(key="cart", name="Cart", percent=10, prefix="cart")


def test_pool_codes_go_first_then_codes_are_generated(offer):
    coupon_pool_add(offer=offer, codes=["pool-a", "POOL-A", " pool-b "])

    first = issue_coupon(offer=offer, visitor_id="v1")
    second = issue_coupon(offer=offer, visitor_id="v2")
    third = issue_coupon(offer=offer, visitor_id="v3")

    assert (first.code, second.code) == ("POOL-A", "POOL-B")
    assert third.code.startswith("CART-") and len(third.code) == 13
    assert third.expires_at.date() == (clock.now() + timedelta(days=offer.valid_days)).date()


def test_a_visitor_keeps_one_code_per_offer(offer):
    first = issue_coupon(offer=offer, visitor_id="v1")
    assert issue_coupon(offer=offer, visitor_id="v1") == first
    assert Coupon.objects.filter(visitor_id="v1").count() == 1


def test_a_racing_second_send_gets_the_first_sends_code(offer):
    """Two sends for one visitor pass the "holds one already?" read together: the unique
    (offer, visitor) constraint fails the second insert, which then returns the first."""
    first = issue_coupon(offer=offer, visitor_id="v1")
    with mock.patch.object(coupons, "_held", side_effect=[None, first]):
        again = issue_coupon(offer=offer, visitor_id="v1")
    assert again == first
    with pytest.raises(IntegrityError):
        Coupon.objects.create(offer=offer, code="OTHER", visitor_id="v1")


def test_a_lapsed_code_is_renewed_and_a_redeemed_one_is_not_reissued(offer):
    coupon = issue_coupon(offer=offer, visitor_id="v1")
    Coupon.objects.filter(pk=coupon.pk).update(expires_at=clock.now() - timedelta(days=1))
    renewed = issue_coupon(offer=offer, visitor_id="v1")
    assert renewed.code == coupon.code and renewed.expires_at > clock.now()

    Coupon.objects.filter(pk=coupon.pk).update(redeemed_at=clock.now())
    assert issue_coupon(offer=offer, visitor_id="v1") is None


def test_without_pool_or_generator_there_is_no_code(offer):
    offer.generate = False
    offer.save()
    assert issue_coupon(offer=offer, visitor_id="v1") is None


def test_a_purchase_with_the_code_redeems_it_once(offer, django_capture_on_commit_callbacks):
    coupon = issue_coupon(offer=offer, visitor_id="v1")
    purchase = {
        "type": "purchase",
        "visitor_id": "v1",
        "properties": {"order_id": "o-9", "revenue": 10.0, "coupon": coupon.code.lower()},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest_events([purchase]).accepted == 1

    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None and coupon.order_id == "o-9"
    assert record_redemptions(visitor_ids=["v1"]) == 0  # already redeemed
