"""Reads of profiles and events. A request-time profile read is one cache hit."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from tracking.models import Event, RfmScale, VisitorAlias, VisitorProfile
from tracking.profile_state import ProfileSettings, ProfileState
from tracking.rfm import RfmCuts

PROFILE_CACHE_PREFIX = "profile:"
RFM_CUTS_CACHE_KEY = "rfm-cuts"
STATE_FIELDS = tuple(name for name in ProfileState.__dataclass_fields__ if name != "visitor_id")


def profile_settings() -> ProfileSettings:
    from datetime import timedelta

    return ProfileSettings(
        interest_half_life_days=settings.PZ_INTEREST_HALF_LIFE_DAYS,
        engagement_half_life_days=settings.PZ_ENGAGEMENT_HALF_LIFE_DAYS,
        session_timeout=timedelta(minutes=settings.PZ_SESSION_TIMEOUT_MINUTES),
        cart_abandon_after=timedelta(minutes=settings.PZ_CART_ABANDON_MINUTES),
        high_intent_engagement=settings.PZ_HIGH_INTENT_ENGAGEMENT,
    )


def profile_cache_key(visitor_id: str) -> str:
    return PROFILE_CACHE_PREFIX + visitor_id


def state_from_model(profile: VisitorProfile) -> ProfileState:
    return ProfileState(
        visitor_id=profile.visitor_id, **{name: getattr(profile, name) for name in STATE_FIELDS}
    )


def cache_entry(profile: VisitorProfile) -> dict[str, Any]:
    """What the profile cache holds for a visitor: state plus consent."""
    return {
        "state": state_from_model(profile),
        "consent": {
            "tracking": profile.consent_tracking,
            "personalization": profile.consent_personalization,
        },
        "bucketing_id": profile.bucketing_id,
    }


def resolve_visitor_id(visitor_id: str) -> str:
    """The canonical visitor id (stitched anonymous ids point at the known visitor)."""
    alias = VisitorAlias.objects.filter(alias_id=visitor_id).values_list("visitor_id", flat=True)
    return next(iter(alias), visitor_id)


def get_profile_entry(visitor_id: str) -> dict[str, Any] | None:
    """The cached profile entry of a visitor, loading it on a miss; None if never seen.

    Stitched anonymous ids are cached as {"alias": canonical_id} pointers.
    """
    key = profile_cache_key(visitor_id)
    entry = cache.get(key)
    if entry is not None and "alias" in entry:
        visitor_id = entry["alias"]
        key = profile_cache_key(visitor_id)
        entry = cache.get(key)
    if entry is not None:
        return entry
    canonical = resolve_visitor_id(visitor_id)
    profile = VisitorProfile.objects.filter(visitor_id=canonical).first()
    if profile is None:
        return None
    entry = cache_entry(profile)
    entries = {profile_cache_key(canonical): entry}
    if canonical != visitor_id:
        entries[profile_cache_key(visitor_id)] = {"alias": canonical}
    cache.set_many(entries, settings.PZ_PROFILE_CACHE_SECONDS)
    return entry


def consent_of(entry: dict[str, Any] | None) -> dict[str, bool]:
    """Effective consent: the visitor's own choice, else the site default."""
    default = settings.PZ_DEFAULT_CONSENT
    stored = (entry or {}).get("consent") or {}
    return {
        purpose: stored.get(purpose) if stored.get(purpose) is not None else bool(default[purpose])
        for purpose in ("tracking", "personalization")
    }


def rfm_cuts() -> RfmCuts:
    cuts = cache.get(RFM_CUTS_CACHE_KEY)
    if cuts is None:
        scale = RfmScale.objects.order_by("-computed_at").first()
        cuts = (
            RfmCuts(
                recency=tuple(scale.recency_cuts),
                frequency=tuple(scale.frequency_cuts),
                monetary=tuple(scale.monetary_cuts),
            )
            if scale
            else RfmCuts()
        )
        cache.set(RFM_CUTS_CACHE_KEY, cuts, 60 * 60)
    return cuts


def visitor_events(visitor_id: str) -> QuerySet[Event]:
    return Event.objects.filter(visitor_id=visitor_id).order_by("timestamp", "id")


def purchasers_since(now: datetime) -> QuerySet[VisitorProfile]:
    return VisitorProfile.objects.filter(orders__gt=0, last_purchase_at__lte=now)
