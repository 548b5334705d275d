"""Reads of profiles and events. A request-time profile read is one cache hit."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from tracking.customer_keys import customer_key
from tracking.models import RfmScale, VisitorAlias, VisitorProfile
from tracking.profile_entry import Consent, ProfileEntry
from tracking.profile_state import ProfileSettings, ProfileState
from tracking.rfm import RfmCuts

PROFILE_CACHE_PREFIX = "profile:"
# A visitor id never seen is remembered this long under its profile key, so cookie-only
# visitors cost no query per request; the first ingest or consent choice overwrites it.
UNKNOWN_VISITOR_SECONDS = 10 * 60
UNKNOWN_VISITOR: dict[str, Any] = {"unknown": True}
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


def cache_entry(profile: VisitorProfile) -> ProfileEntry:
    """What the profile cache holds for a visitor: state, consent choices (marketing
    e-mail's with its confirmation and address), bucketing id."""
    return ProfileEntry(
        state=state_from_model(profile),
        tracking_choice=profile.consent_tracking,
        personalization_choice=profile.consent_personalization,
        bucketing_id=profile.bucketing_id,
        marketing_email_choice=profile.consent_marketing_email,
        marketing_email_confirmed=profile.consent_marketing_email_confirmed_at is not None,
        marketing_email_address=profile.marketing_email_address,
    )


def resolve_visitor_id(visitor_id: str) -> str:
    """The canonical visitor id (stitched anonymous ids point at the known visitor)."""
    alias = VisitorAlias.objects.filter(alias_id=visitor_id).values_list("visitor_id", flat=True)
    return next(iter(alias), visitor_id)


def canonical_visitor_id(visitor_id: str) -> Coalesce:
    """`resolve_visitor_id` as an SQL expression, to filter by it in the same query."""
    alias = VisitorAlias.objects.filter(alias_id=visitor_id).values("visitor_id")[:1]
    return Coalesce(Subquery(alias), Value(visitor_id))


def get_profile_entry(visitor_id: str) -> ProfileEntry | None:
    """The cached profile entry of a visitor, loading it on a miss; None if never seen.

    Stitched anonymous ids are cached as {"alias": canonical_id} pointers, ids never seen
    as {"unknown": True} for a few minutes.
    """
    return profile_entry_from(visitor_id, cache.get(profile_cache_key(visitor_id)))


def profile_entry_from(visitor_id: str, cached: Any) -> ProfileEntry | None:
    """`get_profile_entry` given what the cache held under the visitor's profile key, for
    callers that read it in one `get_many` with their other keys."""
    if isinstance(cached, dict) and "alias" in cached:
        visitor_id = cached["alias"]
        cached = cache.get(profile_cache_key(visitor_id))
    if isinstance(cached, ProfileEntry):
        return cached
    if isinstance(cached, dict) and "unknown" in cached:
        return None
    if cached is not None:
        # An entry cached in an older shape (before a deploy): replace it.
        cache.delete(profile_cache_key(visitor_id))
    return _load_profile_entry(visitor_id)


def _load_profile_entry(visitor_id: str) -> ProfileEntry | None:
    """Read the profile from the database and cache it, with `add` only: what a write
    cached in the meantime (an ingest's newer profile, an erasure's "unknown" mark) is
    never overwritten by this possibly older read."""
    # One query: the cold path of every request for a visitor not cached yet.
    profile = VisitorProfile.objects.filter(visitor_id=canonical_visitor_id(visitor_id)).first()
    if profile is None:
        cache.add(profile_cache_key(visitor_id), UNKNOWN_VISITOR, UNKNOWN_VISITOR_SECONDS)
        return None
    canonical = profile.visitor_id
    entry = cache_entry(profile)
    cache.add(profile_cache_key(canonical), entry, settings.PZ_PROFILE_CACHE_SECONDS)
    if canonical != visitor_id:
        alias = {"alias": canonical}
        cache.add(profile_cache_key(visitor_id), alias, settings.PZ_PROFILE_CACHE_SECONDS)
    return entry


def consent_of(entry: ProfileEntry | None) -> Consent:
    """Effective consent: the visitor's own choice, else the site default."""
    default = settings.PZ_DEFAULT_CONSENT
    if entry is None:
        return Consent(
            tracking=bool(default["tracking"]), personalization=bool(default["personalization"])
        )
    return entry.consent(default)


def marketing_email_of(entry: ProfileEntry | None) -> dict[str, Any]:
    """A visitor's marketing e-mail consent (never on by default; with double opt-in
    only once confirmed) and the address to write to: a known customer's own, else the
    one given with the consent."""
    if entry is None:
        return {"consent": False, "address": ""}
    consent = entry.marketing_email_choice is True and (
        entry.marketing_email_confirmed or not settings.PZ_EMAIL_DOUBLE_OPT_IN
    )
    state = entry.state
    known = state.customer_key is not None
    address = (state.attributes.get("email") if known else "") or entry.marketing_email_address
    return {"consent": bool(consent), "address": str(address or "")}


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


def purchasers_since(now: datetime) -> QuerySet[VisitorProfile]:
    return VisitorProfile.objects.filter(orders__gt=0, last_purchase_at__lte=now)


def find_profile(query: str) -> VisitorProfile | None:
    """The profile of a customer id, an e-mail address or a visitor id (in that sense:
    an address has an @; customer ids are matched by their keyed hash, never stored)."""
    query = query.strip()
    if not query:
        return None
    profiles = VisitorProfile.objects.all()
    if "@" in query:
        return (
            profiles.filter(Q(marketing_email_address__iexact=query) | Q(attributes__email=query))
            .order_by("-last_seen")
            .first()
        )
    key = customer_key(query, settings.PZ_CUSTOMER_ID_PEPPER)
    profile = profiles.filter(customer_key=key).first()
    if profile is None:
        profile = profiles.filter(visitor_id=resolve_visitor_id(query)).first()
    return profile


def recent_profiles(limit: int) -> QuerySet[VisitorProfile]:
    """The most recently seen visitors, newest first."""
    return VisitorProfile.objects.exclude(last_seen=None).order_by("-last_seen", "-pk")[:limit]


def visitor_name(profile: VisitorProfile) -> str:
    """How staff screens name a visitor: first name and e-mail address when known."""
    attributes = profile.attributes or {}
    first_name = str(attributes.get("first_name") or "")
    email = profile.marketing_email_address or str(attributes.get("email") or "")
    if first_name and email:
        return f"{first_name} ({email})"
    if first_name or email:
        return first_name or email
    return "Known customer" if profile.customer_key else "Anonymous visitor"


def visitor_names(visitor_ids: set[str]) -> dict[str, str]:
    """`visitor_name` of each of these visitors that has a profile, in one query; a
    visitor without one is anonymous to staff screens."""
    profiles = VisitorProfile.objects.filter(visitor_id__in=visitor_ids)
    return {profile.visitor_id: visitor_name(profile) for profile in profiles}
