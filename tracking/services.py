"""Writes of events and profiles: ingest, consent, stitching, erasure, RFM, imports."""

import csv
import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from core import clock
from core.identity_tokens import identity_token_error
from core.visitor_data import registered_sections
from tracking import profile_state, rfm
from tracking.customer_keys import customer_key, known_visitor_id
from tracking.customer_rows import CustomerRecord, automatic_mapping, csv_record, customer_item
from tracking.definitions import current_definitions
from tracking.event_validation import BatchValidation, ValidationLimits, ValidEvent, validate_batch
from tracking.models import (
    Event,
    EventReceipt,
    PendingAnnouncement,
    RfmScale,
    VisitorAlias,
    VisitorProfile,
)
from tracking.selectors import (
    RFM_CUTS_CACHE_KEY,
    STATE_FIELDS,
    UNKNOWN_VISITOR,
    UNKNOWN_VISITOR_SECONDS,
    cache_entry,
    profile_cache_key,
    profile_settings,
    rfm_cuts,
    state_from_model,
)
from tracking.signals import events_ingested, marketing_consent_requested, visitors_merged

logger = logging.getLogger(__name__)
PROFILE_WRITE_FIELDS = (*STATE_FIELDS, "cart_items", "cart_value", "updated_at")


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    dropped_no_consent: int = 0
    duplicates: int = 0

    def as_response(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "dropped_no_consent": self.dropped_no_consent,
            "duplicates": self.duplicates,
        }


def new_visitor_id() -> str:
    """A random, pseudonymous visitor id (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def validation_limits() -> ValidationLimits:
    return ValidationLimits(
        max_future_skew=timedelta(seconds=settings.PZ_MAX_FUTURE_SKEW_SECONDS),
        max_age=timedelta(days=settings.PZ_MAX_EVENT_AGE_DAYS),
    )


def _apply_to_model(profile: VisitorProfile, state: profile_state.ProfileState) -> None:
    for name in STATE_FIELDS:
        setattr(profile, name, getattr(state, name))
    profile.cart_items = state.cart_items
    profile.cart_value = state.cart_value


def _tracking_allowed(profile: VisitorProfile | None, *, gpc: bool = False) -> bool:
    """The visitor's explicit choice wins; otherwise a Global Privacy Control / DNT signal
    (when honoured) means no, else the site default."""
    if profile is not None and profile.consent_tracking is not None:
        return profile.consent_tracking
    return not gpc and bool(settings.PZ_DEFAULT_CONSENT["tracking"])


def _cache_profiles(profiles: Iterable[VisitorProfile]) -> None:
    entries = {profile_cache_key(p.visitor_id): cache_entry(p) for p in profiles}
    if entries:
        cache.set_many(entries, settings.PZ_PROFILE_CACHE_SECONDS)


def ingest_events(
    raw_events: list[object],
    *,
    default_visitor_id: str | None = None,
    now: datetime | None = None,
    gpc: bool = False,
    verify_identity: bool = False,
) -> IngestResult:
    """Validate a batch, store the valid events in one bulk insert and fold them into
    their visitors' profiles; invalid events are reported by index, the rest kept.

    `verify_identity` is for browser callers: their `login` events need the shop
    backend's identity token (API.md "Callers and identity"). The shop's own server-side
    code and server-key callers are trusted with `properties.user_id`."""
    now = now or clock.now()
    batch = validate_batch(
        raw_events,
        now=now,
        default_visitor_id=default_visitor_id,
        limits=validation_limits(),
        custom_types=current_definitions().event_types,
    )
    if verify_identity:
        _reject_unproven_logins(batch, now)
    _pseudonymize_logins(batch.valid)
    result = IngestResult(rejected=batch.rejected)
    if batch.valid:
        _store_valid_events(batch.valid, now, result, gpc=gpc)
    return result


def _reject_unproven_logins(batch: BatchValidation, now: datetime) -> None:
    """Move login events without a valid identity token for their user_id to the
    rejections (`errors.identity_token`): nothing of them is stored or merged."""
    kept = []
    for event in batch.valid:
        if event.type == "login":
            problem = identity_token_error(
                event.properties.get("identity_token"),
                str(event.properties["user_id"]),
                secret=settings.PZ_IDENTITY_SECRET,
                now=now.timestamp(),
            )
            if problem:
                batch.rejected.append({"index": event.index, "errors": {"identity_token": problem}})
                continue
        kept.append(event)
    if len(kept) < len(batch.valid):
        batch.valid = kept
        batch.rejected.sort(key=lambda rejection: rejection["index"])


def _pseudonymize_logins(events: list[ValidEvent]) -> None:
    """A login keeps the keyed hash of its customer id, never the id or its token."""
    for event in events:
        if event.type == "login":
            properties = dict(event.properties)
            user_id = str(properties.pop("user_id"))
            properties.pop("identity_token", None)
            properties["customer_key"] = customer_key(user_id, settings.PZ_CUSTOMER_ID_PEPPER)
            event.properties = properties


def _store_valid_events(
    valid: list[ValidEvent], now: datetime, result: IngestResult, *, gpc: bool = False
) -> None:
    requested_ids = {event.visitor_id for event in valid}
    aliases = dict(
        VisitorAlias.objects.filter(alias_id__in=requested_ids).values_list(
            "alias_id", "visitor_id"
        )
    )
    for event in valid:
        event.visitor_id = aliases.get(event.visitor_id, event.visitor_id)
    visitor_ids = sorted({event.visitor_id for event in valid})
    cfg = profile_settings()
    cuts = rfm_cuts()

    with transaction.atomic():
        # Locking the profiles serialises concurrent batches of the same visitor, so the
        # event_id check below sees every committed duplicate.
        profiles = {
            p.visitor_id: p
            for p in VisitorProfile.objects.select_for_update()
            .filter(visitor_id__in=visitor_ids)
            .order_by("visitor_id")
        }
        allowed = [e for e in valid if _tracking_allowed(profiles.get(e.visitor_id), gpc=gpc)]
        result.dropped_no_consent = len(valid) - len(allowed)
        new_ids = {e.visitor_id for e in allowed} - profiles.keys()
        if new_ids:
            VisitorProfile.objects.bulk_create(
                [VisitorProfile(visitor_id=vid, bucketing_id=vid) for vid in sorted(new_ids)],
                ignore_conflicts=True,
            )
            for profile in VisitorProfile.objects.select_for_update().filter(
                visitor_id__in=new_ids
            ):
                profiles[profile.visitor_id] = profile

        fresh = _drop_duplicates(allowed)
        result.duplicates = len(allowed) - len(fresh)
        result.accepted = len(allowed)
        if not fresh:
            return
        insert_events(fresh, received_at=now)
        states = {vid: state_from_model(profiles[vid]) for vid in {e.visitor_id for e in fresh}}
        for event in sorted(fresh, key=lambda e: e.timestamp):
            profile_state.apply_event(
                states[event.visitor_id],
                event.type,
                event.timestamp,
                event.properties,
                event.context,
                cfg,
                event.session_id,
            )
        touched: dict[str, VisitorProfile] = {}
        for vid, state in states.items():
            profile_state.refresh_rfm(state, now, cuts)
            profile = profiles[vid]
            _apply_to_model(profile, state)
            profile.updated_at = now
            touched[vid] = profile
        write_profiles(list(touched.values()))

        sent: dict[str, set[str]] = {}  # the types each visitor sent in this batch
        for event in fresh:
            sent.setdefault(event.visitor_id, set()).add(event.type)
        for event in (e for e in fresh if e.type == "login"):
            if event.visitor_id not in touched:
                continue  # merged away by an earlier login of this batch
            known = stitch_visitor(
                visitor_id=event.visitor_id, customer_key=event.properties["customer_key"]
            )
            if known.visitor_id != event.visitor_id:
                del touched[event.visitor_id]
                sent.setdefault(known.visitor_id, set()).update(sent.pop(event.visitor_id, ()))
            touched[known.visitor_id] = known
        cached = list(touched.values())
        sent_types = {vid: sorted(types) for vid, types in sent.items() if vid in touched}
        transaction.on_commit(lambda: _cache_profiles(cached), robust=True)
        transaction.on_commit(lambda: _announce_ingested(sent_types))


def _announce_ingested(sent_types: dict[str, list[str]]) -> None:
    """Tell subscribers (segments, triggers, recommendations) about committed events. The
    events are stored by now: a failing receiver (the broker is down, say) is logged, the
    others still run, and the announcement is kept for `replay_pending_announcements`;
    an error response would only make the client resend stored events."""
    visitor_ids = set(sent_types)
    event_types = {t for types in sent_types.values() for t in types}
    errors = announce_events(visitor_ids, event_types, sent_types=sent_types)
    if errors:
        try:
            PendingAnnouncement.objects.create(
                visitor_ids=sorted(visitor_ids),
                event_types=sorted(event_types),
                last_error="; ".join(errors)[:300],
            )
        except DatabaseError:
            logger.exception("announcement of %d visitors lost", len(visitor_ids))


def announce_events(
    visitor_ids: Iterable[str],
    event_types: Iterable[str],
    *,
    sent_types: dict[str, list[str]] | None = None,
) -> list[str]:
    """Send `events_ingested` to every receiver; the failures, by receiver. `sent_types`
    (which types each visitor sent) is unknown when a stored announcement is replayed."""
    errors = []
    for receiver, outcome in events_ingested.send_robust(
        sender=Event,
        visitor_ids=set(visitor_ids),
        event_types=set(event_types),
        sent_types=sent_types,
    ):
        if isinstance(outcome, Exception):
            name = getattr(receiver, "__qualname__", str(receiver))
            logger.error("events_ingested receiver %s failed", name, exc_info=outcome)
            errors.append(f"{name}: {type(outcome).__name__}")
    return errors


def replay_pending_announcements(*, limit: int = 200) -> int:
    """Announce again what could not be announced, oldest first; stops at the first
    failure (the broker is still down) and leaves the rest for the next run. Returns how
    many were delivered. One that keeps failing for another reason than an outage (a
    receiver's bug) stops being tried after PZ_ANNOUNCEMENT_MAX_ATTEMPTS and stays, with
    its last error, for someone to look at."""
    delivered = 0
    retryable = PendingAnnouncement.objects.filter(
        attempts__lt=settings.PZ_ANNOUNCEMENT_MAX_ATTEMPTS
    )
    for pending in retryable[:limit]:
        errors = announce_events(pending.visitor_ids, pending.event_types)
        if errors:
            PendingAnnouncement.objects.filter(pk=pending.pk).update(
                attempts=F("attempts") + 1, last_error="; ".join(errors)[:300]
            )
            break
        pending.delete()
        delivered += 1
    return delivered


def insert_events(events: list[ValidEvent], *, received_at: datetime) -> None:
    """Append events: PostgreSQL's COPY where available (3x a multi-row INSERT), else one
    bulk INSERT. Duplicates were dropped before, by claiming their receipts."""
    if connection.vendor == "postgresql":
        _copy_events(events, received_at)
        return
    Event.objects.bulk_create(
        [
            Event(
                event_id=e.event_id,
                visitor_id=e.visitor_id,
                session_id=e.session_id,
                type=e.type,
                timestamp=e.timestamp,
                received_at=received_at,
                properties=e.properties,
                context=e.context,
            )
            for e in events
        ],
        batch_size=1000,
    )


def _copy_events(events: list[ValidEvent], received_at: datetime) -> None:
    table = Event._meta.db_table
    columns = "event_id, visitor_id, session_id, type, timestamp, received_at, properties, context"
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for e in events:
                copy.write_row(
                    (
                        e.event_id,
                        e.visitor_id,
                        e.session_id,
                        e.type,
                        e.timestamp,
                        received_at,
                        json.dumps(e.properties),
                        json.dumps(e.context),
                    )
                )


def write_profiles(profiles: list[VisitorProfile]) -> None:
    """Write updated profiles with one upsert on visitor_id: `bulk_update` builds a CASE
    per field per row and cost 10x more in the ingest benchmark."""
    VisitorProfile.objects.bulk_create(
        profiles,
        update_conflicts=True,
        unique_fields=["visitor_id"],
        update_fields=list(PROFILE_WRITE_FIELDS),
        batch_size=500,
    )


def _drop_duplicates(events: list[ValidEvent]) -> list[ValidEvent]:
    """Events whose (visitor, event_id) was already stored, or repeats within the batch,
    are no-ops; the same event_id from another visitor is another event. The receipts
    of the others are claimed here (INSERT ... ON CONFLICT DO NOTHING RETURNING), in the
    ingest transaction: only an event whose receipt this batch wrote is stored."""
    first: dict[tuple[str, uuid.UUID], ValidEvent] = {}
    for event in events:
        if event.event_id is not None:
            first.setdefault((event.visitor_id, uuid.UUID(str(event.event_id))), event)
    if not first:
        return events
    claimed = _claim_receipts([(*key, event.timestamp) for key, event in first.items()])
    keep = {id(first[key]) for key in claimed}
    return [e for e in events if e.event_id is None or id(e) in keep]


def _claim_receipts(
    keys: list[tuple[str, uuid.UUID, datetime]],
) -> set[tuple[str, uuid.UUID]]:
    """Insert the receipts not stored yet; the (visitor, event_id) this call inserted."""
    table = connection.ops.quote_name(EventReceipt._meta.db_table)
    id_field = EventReceipt._meta.get_field("event_id")
    time_field = EventReceipt._meta.get_field("timestamp")
    claimed: set[tuple[str, uuid.UUID]] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            params: list[Any] = []
            for visitor_id, event_id, timestamp in chunk:
                params += [
                    visitor_id,
                    id_field.get_db_prep_value(event_id, connection),
                    time_field.get_db_prep_value(timestamp, connection),
                ]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (visitor_id, event_id, timestamp) VALUES {values} "  # noqa: S608
                "ON CONFLICT (visitor_id, event_id) DO NOTHING RETURNING visitor_id, event_id",
                params,
            )
            claimed.update((vid, uuid.UUID(str(eid))) for vid, eid in cursor.fetchall())
    return claimed


@transaction.atomic
def stitch_visitor(*, visitor_id: str, customer_key: str) -> VisitorProfile:
    """Attach a visitor to a known customer (by the keyed hash of the customer id). If the
    customer already has a profile under another visitor id, the anonymous profile is
    merged into it, its events re-pointed and its id kept as an alias; returns the
    customer's profile."""
    key = customer_key
    source = VisitorProfile.objects.select_for_update().get(visitor_id=visitor_id)
    target = VisitorProfile.objects.select_for_update().filter(customer_key=key).first()
    if target is None or target.pk == source.pk:
        if source.customer_key != key:
            if source.customer_key is not None:
                # Another customer logged in on this browser: start a fresh visitor id
                # rather than mix two people's data; the caller resets the cookie.
                logger.info("visitor %s already belongs to another customer", visitor_id)
                return source
            source.customer_key = key
            source.save(update_fields=["customer_key", "updated_at"])
        transaction.on_commit(lambda: _cache_profiles([source]))
        return source

    merged = state_from_model(target)
    profile_state.merge_into(merged, state_from_model(source))
    profile_state.refresh_rfm(merged, clock.now(), rfm_cuts())
    _apply_to_model(target, merged)
    # An event the client sent under both ids is one event: the target keeps its copy
    # (event_id is unique per visitor, so re-pointing the source's copy would conflict).
    both = list(
        EventReceipt.objects.filter(
            visitor_id=source.visitor_id,
            event_id__in=EventReceipt.objects.filter(visitor_id=target.visitor_id).values(
                "event_id"
            ),
        ).values_list("event_id", flat=True)
    )
    if both:
        Event.objects.filter(visitor_id=source.visitor_id, event_id__in=both).delete()
        EventReceipt.objects.filter(visitor_id=source.visitor_id, event_id__in=both).delete()
    Event.objects.filter(visitor_id=source.visitor_id).update(visitor_id=target.visitor_id)
    EventReceipt.objects.filter(visitor_id=source.visitor_id).update(visitor_id=target.visitor_id)
    VisitorAlias.objects.filter(visitor_id=source.visitor_id).update(visitor_id=target.visitor_id)
    VisitorAlias.objects.update_or_create(
        alias_id=source.visitor_id, defaults={"visitor_id": target.visitor_id}
    )
    target.save()
    # Receivers re-point their own rows (memberships, exposures) and may adjust the
    # target (e.g. its bucketing id), so it is re-read after them.
    visitors_merged.send(
        sender=VisitorProfile,
        source_visitor_id=source.visitor_id,
        target_visitor_id=target.visitor_id,
    )
    source_id = source.visitor_id
    source.delete()
    target.refresh_from_db()

    def refresh_cache() -> None:
        cache.set(
            profile_cache_key(source_id),
            {"alias": target.visitor_id},
            settings.PZ_PROFILE_CACHE_SECONDS,
        )
        _cache_profiles([target])

    transaction.on_commit(refresh_cache)
    return target


def set_consent(
    *,
    visitor_id: str,
    tracking: bool | None = None,
    personalization: bool | None = None,
    marketing_email: bool | None = None,
    email: str | None = None,
    source: str = "api",
    confirmed: bool = False,
) -> VisitorProfile:
    """Record a visitor's consent choices; withdrawing tracking consent stops storage of
    new events at once (the cache entry is refreshed on commit). Marketing e-mail consent
    is recorded with its time and source (and the address given with it); granting it
    anew needs a fresh confirmation under double opt-in, unless `confirmed`."""
    from tracking.selectors import resolve_visitor_id

    canonical = resolve_visitor_id(visitor_id)
    now = clock.now()
    with transaction.atomic():
        profile, _ = VisitorProfile.objects.select_for_update().get_or_create(
            visitor_id=canonical, defaults={"bucketing_id": canonical}
        )
        if tracking is not None:
            profile.consent_tracking = tracking
        if personalization is not None:
            profile.consent_personalization = personalization
        if email:
            profile.marketing_email_address = email
        if marketing_email is not None:
            if marketing_email and not profile.consent_marketing_email:
                profile.consent_marketing_email_confirmed_at = None
                if settings.PZ_EMAIL_DOUBLE_OPT_IN and not confirmed:
                    transaction.on_commit(
                        lambda: marketing_consent_requested.send(
                            sender=VisitorProfile, visitor_id=canonical
                        )
                    )
            profile.consent_marketing_email = marketing_email
            profile.consent_marketing_email_at = now
            profile.consent_marketing_email_source = source[:40]
        if confirmed and profile.consent_marketing_email:
            profile.consent_marketing_email_confirmed_at = now
        profile.consent_updated_at = now
        profile.save()
        transaction.on_commit(lambda: _cache_profiles([profile]))
    return profile


def linked_visitor_ids(visitor_id: str) -> list[str]:
    """The visitor's canonical id plus every anonymous id stitched to it."""
    from tracking.selectors import resolve_visitor_id

    canonical = resolve_visitor_id(visitor_id)
    aliases = VisitorAlias.objects.filter(visitor_id=canonical).values_list("alias_id", flat=True)
    return sorted({canonical, visitor_id, *aliases})


def erase_visitor(*, visitor_id: str) -> bool:
    """GDPR erasure: every registered section (events, profile, aliases, memberships,
    assignments...) of the visitor and of every id stitched to it, in one transaction."""
    with transaction.atomic():
        ids = linked_visitor_ids(visitor_id)
        found = (
            VisitorProfile.objects.filter(visitor_id__in=ids).exists()
            or Event.objects.filter(visitor_id__in=ids).exists()
        )
        for section in registered_sections():
            section.erase(ids)
        transaction.on_commit(lambda: _forget_cached_profiles(ids))
    return found


def _forget_cached_profiles(visitor_ids: Iterable[str]) -> None:
    """Mark the visitors unknown in the shared cache at once, so no process serves their
    old profile; a read that loaded the profile before the change cannot put it back
    (profile loads only `add`)."""
    cache.set_many(
        {profile_cache_key(vid): UNKNOWN_VISITOR for vid in visitor_ids}, UNKNOWN_VISITOR_SECONDS
    )


def export_visitor(*, visitor_id: str) -> dict[str, Any]:
    """GDPR access: everything stored about the visitor, by section."""
    ids = linked_visitor_ids(visitor_id)
    return {
        "visitor_id": visitor_id,
        "linked_visitor_ids": ids,
        "exported_at": clock.now().isoformat(),
        "sections": {section.name: section.export(ids) for section in registered_sections()},
    }


@transaction.atomic
def refresh_rfm_scores(*, now: datetime | None = None) -> RfmScale:
    """Recompute the RFM quintile cut points over all purchasers and rescore every
    purchaser (recency moves with the clock, so scores go stale without events)."""
    now = now or clock.now()
    rows = list(
        VisitorProfile.objects.filter(orders__gt=0, last_purchase_at__isnull=False).values_list(
            "pk", "last_purchase_at", "orders", "revenue"
        )
    )
    recency = [max((now - last).total_seconds(), 0.0) / 86400.0 for _, last, _, _ in rows]
    cuts = rfm.RfmCuts(
        recency=rfm.quintile_cuts(recency),
        frequency=rfm.quintile_cuts([orders for _, _, orders, _ in rows]),
        monetary=rfm.quintile_cuts([revenue for _, _, _, revenue in rows]),
    )
    scale = RfmScale.objects.create(
        recency_cuts=list(cuts.recency),
        frequency_cuts=list(cuts.frequency),
        monetary_cuts=list(cuts.monetary),
        customers=len(rows),
        computed_at=now,
    )
    RfmScale.objects.exclude(pk=scale.pk).delete()
    updates = []
    for (pk, _, orders, revenue), days in zip(rows, recency, strict=True):
        scores = rfm.score(days, orders, revenue, cuts)
        r, f, m = scores if scores else (None, None, None)
        updates.append(VisitorProfile(pk=pk, rfm_r=r, rfm_f=f, rfm_m=m))
    VisitorProfile.objects.bulk_update(updates, ["rfm_r", "rfm_f", "rfm_m"], batch_size=1000)
    VisitorProfile.objects.filter(orders=0).exclude(rfm_r=None).update(
        rfm_r=None, rfm_f=None, rfm_m=None
    )

    def refresh_cache() -> None:
        cache.delete(RFM_CUTS_CACHE_KEY)
        _invalidate_profiles(
            VisitorProfile.objects.filter(orders__gt=0).values_list("visitor_id", flat=True)
        )

    transaction.on_commit(refresh_cache)
    return scale


def _invalidate_profiles(visitor_ids: Iterable[str]) -> None:
    keys = [profile_cache_key(vid) for vid in visitor_ids]
    for start in range(0, len(keys), 1000):
        cache.delete_many(keys[start : start + 1000])


def known_profile(customer_id: str) -> VisitorProfile:
    """The profile of a known customer, created (with a pseudonymous visitor id) if new."""
    key = customer_key(customer_id, settings.PZ_CUSTOMER_ID_PEPPER)
    profile = VisitorProfile.objects.filter(customer_key=key).first()
    if profile is None:
        vid = known_visitor_id(key)
        profile, _ = VisitorProfile.objects.get_or_create(
            visitor_id=vid, defaults={"bucketing_id": vid, "customer_key": key}
        )
    return profile


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class CustomerReport:
    """`PUT /customers`' report (API.md: the products' shape)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_response(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def save_customers(records: list[CustomerRecord], report: CustomerReport) -> None:
    """Merge the records' attributes into their customers' profiles (created, with a
    pseudonymous visitor id, when new) in one transaction; a null value removes one.
    Profiles are locked as ingest locks them, so a concurrent batch cannot write back
    stale attributes; each is written only when something changed."""
    if not records:
        return
    pepper = settings.PZ_CUSTOMER_ID_PEPPER
    keys = [customer_key(record.customer_id, pepper) for record in records]
    with transaction.atomic():
        profiles = {
            p.customer_key: p
            for p in VisitorProfile.objects.select_for_update().filter(customer_key__in=keys)
        }
        missing = sorted(set(keys) - profiles.keys())
        if missing:
            VisitorProfile.objects.bulk_create(
                [
                    VisitorProfile(
                        visitor_id=known_visitor_id(key),
                        bucketing_id=known_visitor_id(key),
                        customer_key=key,
                    )
                    for key in missing
                ],
                ignore_conflicts=True,
            )
            for profile in VisitorProfile.objects.select_for_update().filter(
                customer_key__in=missing
            ):
                profiles[profile.customer_key] = profile
        created = set(missing)
        changed: dict[str, VisitorProfile] = {}
        for record, key in zip(records, keys, strict=True):
            profile = profiles[key]
            merged = {**profile.attributes, **record.attributes}
            merged = {name: value for name, value in merged.items() if value is not None}
            if key in created:
                report.created += 1
                created.discard(key)
            elif merged == profile.attributes and key not in changed:
                report.unchanged += 1
                continue
            else:
                report.updated += 1
            profile.attributes = merged
            changed[key] = profile
        now = clock.now()
        for profile in changed.values():
            profile.updated_at = now
        VisitorProfile.objects.bulk_update(
            list(changed.values()), ["attributes", "updated_at"], batch_size=500
        )
        # Every process sees the new attributes from the commit on (shared cache).
        touched = list(changed.values())
        transaction.on_commit(partial(_cache_profiles, touched))


def upsert_customers(items: list[object]) -> CustomerReport:
    """`PUT /customers`: each item checked against the attribute definitions; bad items
    reported by index, the rest stored."""
    specs = current_definitions().attributes
    report = CustomerReport()
    records = []
    for index, item in enumerate(items):
        result = customer_item(item, specs)
        if isinstance(result, CustomerRecord):
            records.append(result)
        else:
            report.rejected.append({"index": index, "errors": result})
    save_customers(records, report)
    return report


def _csv_rows(lines: Iterable[str]) -> tuple[list[str], csv.DictReader]:
    reader = csv.DictReader(lines)
    return list(reader.fieldnames or []), reader


def import_customer_attributes(
    lines: Iterable[str],
    *,
    mapping: dict[str, str] | None = None,
    all_or_nothing: bool = False,
) -> ImportReport:
    """Import a CRM export: a CSV with a header, its columns mapped to customer_id, email,
    first_name and defined attributes (`mapping`, column -> target; by default columns
    named like a target). Bad rows are reported by line number; the good rows are kept,
    or with `all_or_nothing` (the admin's import) nothing is stored unless all are good."""
    specs = current_definitions().attributes
    report = ImportReport()
    columns, reader = _csv_rows(lines)
    if mapping is None:
        mapping = automatic_mapping(columns, specs)
    if "customer_id" not in mapping.values():
        report.errors.append((1, "header must include customer_id"))
        return report
    records = []
    for row in reader:
        try:
            records.append(csv_record(row, mapping, specs))
        except ValueError as exc:
            report.errors.append((reader.line_num, str(exc)))
    if report.errors and all_or_nothing:
        return report
    save_customers(records, CustomerReport())
    report.imported = len(records)
    return report


def rebuild_profile(*, visitor_id: str) -> VisitorProfile:
    """Recompute a profile from its stored events (after a half-life change, or to audit
    the incremental updates)."""
    with transaction.atomic():
        profile = VisitorProfile.objects.select_for_update().get(visitor_id=visitor_id)
        state = profile_state.ProfileState(
            visitor_id=visitor_id,
            customer_key=profile.customer_key,
            attributes=profile.attributes,
        )
        cfg = profile_settings()
        for event in Event.objects.filter(visitor_id=visitor_id).order_by("timestamp", "id"):
            profile_state.apply_event(
                state,
                event.type,
                event.timestamp,
                event.properties,
                event.context,
                cfg,
                event.session_id,
            )
        profile_state.refresh_rfm(state, clock.now(), rfm_cuts())
        _apply_to_model(profile, state)
        profile.save()
        transaction.on_commit(lambda: _cache_profiles([profile]))
    return profile


def demo_event_id(namespace: str, key: str) -> str:
    """A stable event_id for replayed data, so replaying twice stores nothing twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pz:{namespace}:{key}"))


__all__ = [
    "IngestResult",
    "demo_event_id",
    "erase_visitor",
    "export_visitor",
    "import_customer_attributes",
    "upsert_customers",
    "ingest_events",
    "known_profile",
    "new_visitor_id",
    "rebuild_profile",
    "refresh_rfm_scores",
    "set_consent",
    "stitch_visitor",
]
