"""Unique coupon codes: issued per visitor at send time, shown on the site, redeemed by
purchase events that carry `properties.coupon`."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction

from core import clock
from tracking.models import Event
from triggers.models import Coupon, CouponOffer
from triggers.selectors import COUPONS_OUTSTANDING_KEY

# No 0/O or 1/I: codes are read off a screen and typed.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_code(prefix: str = "", length: int = 8) -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    return f"{prefix.upper()}-{body}" if prefix else body


def coupon_pool_add(*, offer: CouponOffer, codes: Iterable[str]) -> int:
    """Add uploaded codes to an offer's pool (duplicates are ignored)."""
    rows = [Coupon(offer=offer, code=code.strip().upper()) for code in codes if code.strip()]
    before = Coupon.objects.filter(offer=offer).count()
    Coupon.objects.bulk_create(rows, ignore_conflicts=True)
    return Coupon.objects.filter(offer=offer).count() - before


def issue_coupon(
    *, offer: CouponOffer, visitor_id: str, now: datetime | None = None
) -> Coupon | None:
    """The visitor's code of this offer: the one they hold (its expiry renewed when it
    lapsed unused), else the next pool code, else a generated one; None when the
    visitor redeemed theirs or the pool is empty and the offer generates none.

    Concurrency: a pool code is taken under a row lock (skipping rows another send
    holds), and the unique (offer, visitor) constraint makes a racing second issue for
    the same visitor fall back to the first one's code."""
    now = now or clock.now()
    expires = now + timedelta(days=offer.valid_days)
    held = _held(offer, visitor_id)
    if held is not None:
        return _renewed(held, now, expires)
    try:
        with transaction.atomic():
            pooled = (
                Coupon.objects.select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked
                )
                .filter(offer=offer, visitor_id="", issued_at__isnull=True)
                .order_by("pk")
                .first()
            )
            transaction.on_commit(lambda: cache.delete(COUPONS_OUTSTANDING_KEY))
            if pooled is not None:
                pooled.visitor_id, pooled.issued_at, pooled.expires_at = visitor_id, now, expires
                pooled.save(update_fields=["visitor_id", "issued_at", "expires_at"])
                return pooled
            if not offer.generate:
                return None
            return _generated(offer, visitor_id, now, expires)
    except IntegrityError:  # a concurrent send issued this visitor's code first
        held = _held(offer, visitor_id)
        return _renewed(held, now, expires) if held is not None else None


def _held(offer: CouponOffer, visitor_id: str) -> Coupon | None:
    return Coupon.objects.filter(offer=offer, visitor_id=visitor_id).first()


def _renewed(coupon: Coupon, now: datetime, expires: datetime) -> Coupon | None:
    if coupon.redeemed_at is not None:
        return None
    if coupon.expires_at is not None and coupon.expires_at <= now:
        coupon.expires_at = expires
        coupon.save(update_fields=["expires_at"])
    return coupon


def _generated(offer: CouponOffer, visitor_id: str, now: datetime, expires: datetime) -> Coupon:
    for _ in range(5):
        code = generate_code(offer.prefix)
        if not Coupon.objects.filter(code=code).exists():
            break
    return Coupon.objects.create(
        offer=offer, code=code, visitor_id=visitor_id, issued_at=now, expires_at=expires
    )


def record_redemptions(*, visitor_ids: Iterable[str], now: datetime | None = None) -> int:
    """Mark the coupons that recent purchases of these visitors used (their
    `properties.coupon`) as redeemed, once, with the order id."""
    now = now or clock.now()
    since = now - timedelta(seconds=settings.PZ_TRIGGERS_ENTRY_LOOKBACK_SECONDS)
    purchases = Event.objects.filter(
        visitor_id__in=list(visitor_ids),
        type="purchase",
        timestamp__gte=since,
        properties__has_key="coupon",
    ).values_list("timestamp", "properties")
    redeemed = 0
    for timestamp, properties in purchases:
        code = properties.get("coupon")
        if not isinstance(code, str) or not code.strip():
            continue
        redeemed += Coupon.objects.filter(
            code=code.strip().upper(), redeemed_at__isnull=True
        ).update(redeemed_at=timestamp, order_id=str(properties.get("order_id") or "")[:100])
    return redeemed
