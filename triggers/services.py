"""Writes of triggers: match ingested events, wait, decide under caps, act, deliver.

One decision path (`assess`) serves the real firing, the delayed check, the sweep and
the admin's dry run, so what the dry run shows is what would happen.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.request
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from content.placeholders import resolve
from personalization.audit import record_change, snapshot
from segments.conditions import (
    Facts,
    InMemoryEventWindows,
    event_windows,
    referenced_segments,
    validate_rule,
)
from tracking.models import Event, VisitorProfile
from tracking.profile_state import profile_document
from tracking.selectors import consent_of, get_profile_entry, profile_settings
from triggers import matching
from triggers.models import (
    DeadLetter,
    Firing,
    PendingMessage,
    Trigger,
    TriggerDayCount,
    TriggerVisitorLock,
)
from triggers.selectors import (
    COUNTED_STATUSES,
    ENTRY_TYPES_CACHE_KEY,
    ONSITE_CACHE_PREFIX,
    compiled_conditions,
    fired_times,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """The event that started an occurrence (None for sweeps)."""

    event_pk: int
    timestamp: datetime
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    retry_in: float | None = None
    error: str = ""


class DeliveryError(Exception):
    pass


def store_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.PZ_TRIGGERS_TIME_ZONE)


# --- validation -------------------------------------------------------------------------


def trigger_errors(trigger: Trigger) -> dict[str, str]:
    """What makes a trigger unusable, by field (the admin form shows them)."""
    errors: dict[str, str] = {}
    if trigger.kind == Trigger.Kind.EVENT and not trigger.entry_event:
        errors["entry_event"] = "An event trigger needs an entry event."
    if trigger.kind == Trigger.Kind.SWEEP and not trigger.conditions:
        errors["conditions"] = "A sweep needs conditions that pick its visitors."
    if trigger.conditions:
        rule_errors = validate_rule(trigger.conditions)
        if rule_errors:
            errors["conditions"] = "; ".join(f"{e.path or 'rule'}: {e.reason}" for e in rule_errors)
    if (trigger.quiet_start_hour is None) != (trigger.quiet_end_hour is None):
        errors["quiet_end_hour"] = "Give both ends of the quiet hours, or neither."
    action = trigger.action
    if action == Trigger.Action.ONSITE:
        if trigger.popup_id is None:
            errors["popup"] = "Choose the pop-up component to show."
        elif trigger.popup.kind != "popup":
            errors["popup"] = "The component must be a pop-up."
    if action == Trigger.Action.EMAIL and trigger.email_template_id is None:
        errors["email_template"] = "Choose the email template."
    if action == Trigger.Action.WEBHOOK:
        if not trigger.webhook_url:
            errors["webhook_url"] = "Give the URL to call."
        if not trigger.webhook_secret:
            errors["webhook_secret"] = "Give a secret to sign the body with."  # noqa: S105 - a message
    if action in (Trigger.Action.SEGMENT_ADD, Trigger.Action.SEGMENT_REMOVE):
        if trigger.segment_id is None:
            errors["segment"] = "Choose the static segment."
        elif trigger.segment.kind != "static":
            errors["segment"] = "Only static segments take explicit members."
    return errors


def forget_trigger_catalog() -> None:
    cache.delete(ENTRY_TYPES_CACHE_KEY)


# --- matching ingested events -----------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One (trigger, visitor, occurrence) to decide; `pending` when it waited."""

    trigger: Trigger
    visitor_id: str
    key: str
    entry: Entry | None
    pending: Firing | None = None


def handle_ingested(
    *, visitor_ids: Iterable[str], event_types: Iterable[str], now: datetime | None = None
) -> list[Firing]:
    """Start an occurrence of every enabled trigger whose entry event a visitor just sent:
    the visitor's newest such event is the occurrence (a burst is one occurrence). The
    whole batch is decided together: a handful of queries, not a handful per decision."""
    now = now or timezone.now()
    ids = sorted(set(visitor_ids))
    triggers = list(
        Trigger.objects.filter(
            enabled=True, kind=Trigger.Kind.EVENT, entry_event__in=set(event_types)
        ).select_related("popup", "email_template", "segment")
    )
    if not ids or not triggers:
        return []
    lookback = now - timedelta(seconds=settings.PZ_TRIGGERS_ENTRY_LOOKBACK_SECONDS)
    latest: dict[tuple[str, str], Entry] = {}
    rows = (
        Event.objects.filter(
            visitor_id__in=ids,
            type__in={t.entry_event for t in triggers},
            timestamp__gte=lookback,
            timestamp__lte=now,
        )
        .order_by("timestamp", "id")
        .values_list("id", "visitor_id", "type", "timestamp", "properties")
    )
    for pk, visitor_id, event_type, timestamp, properties in rows:
        latest[(visitor_id, event_type)] = Entry(pk, timestamp, properties or {})
    occurrences = [
        Occurrence(trigger, visitor_id, f"event:{entry.event_pk}", entry)
        for trigger in triggers
        for visitor_id in ids
        if (entry := latest.get((visitor_id, trigger.entry_event))) is not None
    ]
    started = start_waits([o for o in occurrences if o.trigger.wait_seconds], now=now)
    immediate = [o for o in occurrences if not o.trigger.wait_seconds]
    return started + decide_occurrences(occurrences=immediate, now=now)


def start_waits(occurrences: list[Occurrence], *, now: datetime) -> list[Firing]:
    """Record waited occurrences as pending and schedule their checks after the wait.
    The unique constraints drop an occurrence already recorded and a second pending one
    of the same visitor (debounce), so a redelivered task adds nothing."""
    if not occurrences:
        return []
    rows = [
        Firing(
            trigger=o.trigger,
            visitor_id=o.visitor_id,
            occurrence_key=o.key,
            entry_at=o.entry.timestamp,
            due_at=o.entry.timestamp + timedelta(seconds=o.trigger.wait_seconds),
            result={"entry": {"event": o.entry.event_pk, "properties": o.entry.properties}},
        )
        for o in occurrences
        if o.entry is not None
    ]
    Firing.objects.bulk_create(rows, ignore_conflicts=True)
    pending = list(
        Firing.objects.filter(
            status=Firing.Status.PENDING,
            trigger__in={o.trigger.pk for o in occurrences},
            visitor_id__in={o.visitor_id for o in occurrences},
            occurrence_key__in={o.key for o in occurrences},
        )
    )
    # One check per minute of due times, all overdue ones (a late batch) together; each
    # check waits for the latest due time of its group.
    groups: dict[datetime | None, list[Firing]] = {}
    for firing in pending:
        minute = firing.due_at.replace(second=0, microsecond=0) if firing.due_at > now else None
        groups.setdefault(minute, []).append(firing)
    for firings in groups.values():
        countdown = max(0.0, (max(f.due_at for f in firings) - now).total_seconds())
        ids = [f.pk for f in firings]
        transaction.on_commit(lambda ids=ids, c=countdown: _schedule_checks(ids, c))
    return pending


def _schedule_checks(firing_ids: list[int], countdown: float) -> None:
    from triggers.tasks import check_firings_task

    check_firings_task.apply_async(args=[firing_ids], countdown=countdown)


def check_firings(*, firing_ids: Iterable[int], now: datetime | None = None) -> list[Firing]:
    """The delayed check of pending occurrences: cancelled by the cancel event, or decided.
    One not due yet (an eager task, a clock skew) stays pending for the sweep of due
    firings; one of a disabled trigger is cancelled."""
    now = now or timezone.now()
    firings = list(
        Firing.objects.select_related("trigger", "trigger__popup", "trigger__email_template")
        .select_related("trigger__segment")
        .filter(pk__in=list(firing_ids), status=Firing.Status.PENDING, due_at__lte=now)
        .order_by("pk")
    )
    disabled = [f.pk for f in firings if not f.trigger.enabled]
    if disabled:
        Firing.objects.filter(pk__in=disabled, status=Firing.Status.PENDING).update(
            status=Firing.Status.CANCELLED, reason="trigger disabled", decided_at=now
        )
    occurrences = []
    for firing in firings:
        if not firing.trigger.enabled:
            continue
        info = firing.result.get("entry") or {}
        entry = Entry(info.get("event") or 0, firing.entry_at, info.get("properties") or {})
        occurrences.append(
            Occurrence(firing.trigger, firing.visitor_id, firing.occurrence_key, entry, firing)
        )
    return decide_occurrences(occurrences=occurrences, now=now)


def check_firing(*, firing_id: int, now: datetime | None = None) -> Firing | None:
    """`check_firings` of one occurrence; returns its row as it stands afterwards."""
    check_firings(firing_ids=[firing_id], now=now)
    return Firing.objects.filter(pk=firing_id).first()


def process_due_firings(*, now: datetime | None = None, limit: int = 500) -> int:
    """Check pending occurrences whose wait is over: the safety net when a delayed task
    was lost, ran early (eager mode) or quiet hours deferred it."""
    now = now or timezone.now()
    due = list(
        Firing.objects.filter(status=Firing.Status.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    check_firings(firing_ids=due, now=now)
    return len(due)


def run_sweeps(*, now: datetime | None = None) -> int:
    """Time-based triggers (lapsed customers): the conditions, compiled to SQL, pick the
    candidates; they are then decided like event occurrences. A visitor's occurrence is
    their last activity, so a quiet visitor is not asked again every run."""
    from segments.selectors import sql_compiler

    now = now or timezone.now()
    fired = 0
    triggers = Trigger.objects.filter(enabled=True, kind=Trigger.Kind.SWEEP).select_related(
        "popup", "email_template", "segment"
    )
    for trigger in triggers:
        condition = sql_compiler(now).compile(trigger.conditions)
        candidates = (
            VisitorProfile.objects.filter(condition)
            .order_by("visitor_id")
            .values_list("visitor_id", "last_seen")[: settings.PZ_TRIGGERS_SWEEP_BATCH]
        )
        occurrences = [
            Occurrence(
                trigger,
                visitor_id,
                f"sweep:{last_seen:%Y%m%dT%H%M%S}" if last_seen else "sweep:never",
                None,
            )
            for visitor_id, last_seen in candidates
        ]
        decided = decide_occurrences(occurrences=occurrences, now=now)
        fired += sum(1 for firing in decided if firing.status == Firing.Status.FIRED)
    return fired


# --- the decision -----------------------------------------------------------------------


class FactsCache:
    """What decisions read about visitors, loaded once for a whole batch: profile entries,
    recent events (one query covering the windows of every trigger), cancel events, the
    firings that count against caps, daily counts; plus memoized rule facts."""

    def __init__(self, now: datetime, triggers: Iterable[Trigger] = ()) -> None:
        self.now = now
        self.longest: dict[str, int] = {}
        for trigger in triggers:
            self._want(trigger.conditions)
        self._entries: dict[str, dict[str, Any] | None] = {}
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._facts: dict[str, Facts] = {}
        self._segments: dict[str, frozenset[str]] = {}
        self._fired: dict[tuple[int, str], list[datetime]] = {}
        self._cancels: dict[tuple[str, str], list[datetime]] = {}
        self._daily: dict[tuple[int, Any], int] = {}

    def _want(self, rule: Any) -> bool:
        grew = False
        for window in event_windows(rule) if rule else ():
            if window.within_seconds > self.longest.get(window.event_type, 0):
                self.longest[window.event_type] = window.within_seconds
                grew = True
        return grew

    def profile_entry(self, visitor_id: str) -> dict[str, Any] | None:
        if visitor_id not in self._entries:
            self._entries[visitor_id] = get_profile_entry(visitor_id)
        return self._entries[visitor_id]

    def preload(self, visitor_ids: Iterable[str]) -> None:
        ids = [v for v in visitor_ids if v not in self._events]
        for visitor_id in ids:
            self._events[visitor_id] = []
        if not ids or not self.longest:
            return
        oldest = self.now - timedelta(seconds=max(self.longest.values()))
        rows = (
            Event.objects.filter(
                visitor_id__in=ids, type__in=list(self.longest), timestamp__gte=oldest
            )
            .order_by("-timestamp")
            .values_list("visitor_id", "type", "timestamp", "properties")
        )
        for visitor_id, event_type, timestamp, properties in rows:
            events = self._events[visitor_id]
            if len(events) < settings.PZ_RECENT_EVENTS_LIMIT:
                events.append(
                    {"type": event_type, "timestamp": timestamp, "properties": properties}
                )

    def load_decision_state(self, occurrences: list[Occurrence]) -> None:
        """Cap firings, cancel events and daily counts of these occurrences, one query
        each; called again under the locks to re-read what concurrent decisions wrote."""
        capped = [o for o in occurrences if o.trigger.frequency_cap_count]
        longest = max((o.trigger.frequency_cap_seconds for o in capped), default=0)
        pairs = {(o.trigger.pk, o.visitor_id) for o in capped}
        for pair in pairs:
            self._fired[pair] = []
        if pairs and longest:
            rows = Firing.objects.filter(
                trigger__in={t for t, _ in pairs},
                visitor_id__in={v for _, v in pairs},
                status__in=COUNTED_STATUSES,
                decided_at__gt=self.now - timedelta(seconds=longest),
            ).values_list("trigger_id", "visitor_id", "decided_at")
            for trigger_id, visitor_id, decided_at in rows:
                if (trigger_id, visitor_id) in pairs:
                    self._fired[(trigger_id, visitor_id)].append(decided_at)
        cancelling = [o for o in occurrences if o.trigger.cancel_event and o.entry is not None]
        wanted = {(o.visitor_id, o.trigger.cancel_event) for o in cancelling}
        for key in wanted:
            self._cancels[key] = []
        if cancelling:
            rows = Event.objects.filter(
                visitor_id__in={v for v, _ in wanted},
                type__in={t for _, t in wanted},
                timestamp__gte=min(o.entry.timestamp for o in cancelling),  # type: ignore[union-attr]
                timestamp__lte=self.now,
            ).values_list("visitor_id", "type", "timestamp")
            for visitor_id, event_type, timestamp in rows:
                if (visitor_id, event_type) in wanted:
                    self._cancels[(visitor_id, event_type)].append(timestamp)
        today = self.now.astimezone(store_zone()).date()
        daily = {o.trigger.pk for o in occurrences if o.trigger.daily_cap is not None}
        for trigger_id in daily:
            self._daily[(trigger_id, today)] = 0
        if daily:
            counts = TriggerDayCount.objects.filter(trigger__in=daily, day=today)
            for trigger_id, fired in counts.values_list("trigger_id", "fired"):
                self._daily[(trigger_id, today)] = fired

    def fired_times(self, trigger: Trigger, visitor_id: str) -> list[datetime]:
        """When this trigger fired for the visitor within its frequency period."""
        key = (trigger.pk, visitor_id)
        if key not in self._fired:
            self._fired[key] = list(fired_times(trigger, visitor_id, self.now))
        return self._fired[key]

    def record_firing(self, trigger: Trigger, visitor_id: str) -> None:
        self.fired_times(trigger, visitor_id).append(self.now)
        day = self.now.astimezone(store_zone()).date()
        if trigger.daily_cap is not None:
            self._daily[(trigger.pk, day)] = self.daily_fired(trigger, day) + 1

    def cancelled(self, trigger: Trigger, visitor_id: str, since: datetime) -> bool:
        key = (visitor_id, trigger.cancel_event)
        if key not in self._cancels:
            self._cancels[key] = list(
                Event.objects.filter(
                    visitor_id=visitor_id,
                    type=trigger.cancel_event,
                    timestamp__gte=since,
                    timestamp__lte=self.now,
                ).values_list("timestamp", flat=True)
            )
        return any(at >= since for at in self._cancels[key])

    def daily_fired(self, trigger: Trigger, day: Any) -> int:
        key = (trigger.pk, day)
        if key not in self._daily:
            row = TriggerDayCount.objects.filter(trigger=trigger, day=day)
            self._daily[key] = row.values_list("fired", flat=True).first() or 0
        return self._daily[key]

    def facts(self, visitor_id: str, rule: Any) -> Facts:
        if self._want(rule):  # a rule not announced up front: reload with its windows
            self._events.pop(visitor_id, None)
            self._facts.pop(visitor_id, None)
        if visitor_id not in self._events:
            self.preload([visitor_id])
        if visitor_id not in self._facts:
            state = self.profile_entry(visitor_id)["state"]  # type: ignore[index]
            local = self.now.astimezone(store_zone())
            context = {
                **(state.last_context or {}),
                "local_hour": local.hour,
                "local_weekday": local.isoweekday(),
                "logged_in": state.customer_key is not None,
            }
            self._facts[visitor_id] = Facts(
                profile=profile_document(state, self.now, profile_settings(), exact=True),
                attributes=state.attributes,
                context=context,
                events=InMemoryEventWindows(self._events[visitor_id], now=self.now),
            )
        facts = self._facts[visitor_id]
        if referenced_segments(rule):
            if visitor_id not in self._segments:
                from segments.selectors import visitor_segments

                keys = visitor_segments(visitor_id, dict(facts.context), now=self.now).keys
                self._segments[visitor_id] = frozenset(keys)
            facts = replace(facts, segments=self._segments[visitor_id])
        return facts


def assess(
    *,
    trigger: Trigger,
    visitor_id: str,
    entry: Entry | None,
    now: datetime,
    full: bool = False,
    facts: FactsCache | None = None,
) -> matching.Assessment:
    """Every check of a firing decision, read-only. Stops at the first failure unless
    `full` (the dry run shows them all, with the action rendered)."""
    result = matching.Assessment()
    facts = facts or FactsCache(now)
    profile_entry = facts.profile_entry(visitor_id)
    if (
        not result.add(
            "visitor", profile_entry is not None, "known profile" if profile_entry else "no profile"
        )
        and not full
    ):
        return result
    if trigger.cancel_event and entry is not None:
        cancelled = facts.cancelled(trigger, visitor_id, entry.timestamp)
        detail = f"{trigger.cancel_event} since the entry event" if cancelled else "none"
        if not result.add("cancel event", not cancelled, detail) and not full:
            return result
    consent = consent_of(profile_entry)[trigger.consent]
    if not result.add("consent", consent, f"{trigger.consent} consent") and not full:
        return result
    if trigger.action == Trigger.Action.EMAIL:
        address = _email_address(profile_entry)
        if (
            not result.add(
                "email address",
                bool(address),
                address or "not a known visitor with an email address",
            )
            and not full
        ):
            return result
    if trigger.conditions and profile_entry is not None:
        rule = (
            matching.substitute_entry(trigger.conditions, entry.properties if entry else {})
            if matching.uses_entry(trigger.conditions)
            else trigger.conditions
        )
        holds = compiled_conditions(trigger, rule)(facts.facts(visitor_id, rule))
        if not result.add("conditions", holds, "hold" if holds else "do not hold") and not full:
            return result
    elif profile_entry is not None:
        result.add("conditions", True, "none")
    local = now.astimezone(store_zone())
    quiet = matching.in_quiet_hours(local.hour, trigger.quiet_start_hour, trigger.quiet_end_hour)
    if not result.add("quiet hours", not quiet, f"local time {local:%H:%M}") and not full:
        return result
    allowed = matching.frequency_allows(
        facts.fired_times(trigger, visitor_id),
        now,
        trigger.frequency_cap_count,
        trigger.frequency_cap_seconds,
    )
    detail = f"{trigger.frequency_cap_count} per {trigger.frequency_cap_seconds}s"
    if not result.add("frequency cap", allowed, detail) and not full:
        return result
    if trigger.daily_cap is not None:
        fired = facts.daily_fired(trigger, local.date())
        if (
            not result.add(
                "daily cap", fired < trigger.daily_cap, f"{fired} of {trigger.daily_cap} today"
            )
            and not full
        ):
            return result
    if full and profile_entry is not None:
        result.rendered = render_action(
            trigger=trigger,
            visitor_id=visitor_id,
            profile_entry=profile_entry,
            occurrence_key="dry-run",
            entry=entry,
            now=now,
            preview=True,
        )
    return result


def dry_run(*, trigger: Trigger, visitor_id: str, now: datetime | None = None) -> dict[str, Any]:
    """What firing `trigger` for `visitor_id` now would do, with no side effect: every
    check, and the action rendered. The visitor's newest entry event stands in."""
    now = now or timezone.now()
    entry = None
    if trigger.entry_event:
        row = (
            Event.objects.filter(
                visitor_id=visitor_id, type=trigger.entry_event, timestamp__lte=now
            )
            .order_by("-timestamp", "-id")
            .values_list("id", "timestamp", "properties")
            .first()
        )
        if row:
            entry = Entry(row[0], row[1], row[2] or {})
    assessment = assess(trigger=trigger, visitor_id=visitor_id, entry=entry, now=now, full=True)
    return {
        "would_fire": assessment.ok,
        "reason": assessment.reason,
        "entry_event": entry.event_pk if entry else None,
        "steps": [step.__dict__ for step in assessment.steps],
        "action": assessment.rendered,
    }


def _lock_pairs(occurrences: list[Occurrence], now: datetime) -> None:
    # The first statement of the transaction is a write: an upsert of one lock row per
    # (trigger, visitor), in a fixed order, takes the row locks (SQLite's write lock)
    # before anything is read, so concurrent decisions of a visitor queue, never deadlock.
    pairs = sorted({(o.trigger.pk, o.visitor_id) for o in occurrences})
    TriggerVisitorLock.objects.bulk_create(
        [TriggerVisitorLock(trigger_id=t, visitor_id=v, touched_at=now) for t, v in pairs],
        update_conflicts=True,
        unique_fields=["trigger", "visitor_id"],
        update_fields=["touched_at"],
    )


def _daily_slots(occurrences: list[Occurrence], day: Any) -> dict[int, int]:
    """Firings each daily-capped trigger may still make today, with its day row locked."""
    capped = {
        o.trigger.pk: o.trigger.daily_cap for o in occurrences if o.trigger.daily_cap is not None
    }
    if not capped:
        return {}
    TriggerDayCount.objects.bulk_create(
        [TriggerDayCount(trigger_id=pk, day=day) for pk in sorted(capped)], ignore_conflicts=True
    )
    rows = (
        TriggerDayCount.objects.select_for_update()
        .filter(trigger__in=capped, day=day)
        .order_by("trigger_id")
        .values_list("trigger_id", "fired")
    )
    return {pk: max(0, capped[pk] - fired) for pk, fired in rows}


def _insert_firings(firings: list[Firing]) -> list[Firing]:
    """Insert new decisions; a row another decision wrote first (an edited trigger's old
    pending occurrence) is skipped rather than failing the batch."""
    try:
        with transaction.atomic():
            return Firing.objects.bulk_create(firings)
    except IntegrityError:
        inserted = []
        for firing in firings:
            try:
                with transaction.atomic():
                    firing.save(force_insert=True)
                inserted.append(firing)
            except IntegrityError:
                continue
        return inserted


def decide_occurrences(
    *, occurrences: list[Occurrence], now: datetime, facts: FactsCache | None = None
) -> list[Firing]:
    """Decide occurrences and act, each at most once: unique occurrence keys make
    duplicates no-ops, and the caps are re-read under per-(trigger, visitor) locks, so a
    concurrent duplicate is logged as skipped. An immediate occurrence that fails a check
    before the locks leaves no row (a capped visitor's every event would write one); the
    log holds waited occurrences and every decision taken under the locks."""
    if not occurrences:
        return []
    facts = facts or FactsCache(now, {o.trigger for o in occurrences})
    facts.preload(sorted({o.visitor_id for o in occurrences}))
    facts.load_decision_state(occurrences)
    candidates = []
    for occurrence in occurrences:
        assessment = assess(
            trigger=occurrence.trigger,
            visitor_id=occurrence.visitor_id,
            entry=occurrence.entry,
            now=now,
            facts=facts,
        )
        failed = next((step for step in assessment.steps if not step.passed), None)
        if occurrence.pending is not None or failed is None:
            candidates.append((occurrence, failed))
    if not candidates:
        return []
    day = now.astimezone(store_zone()).date()
    decided: list[Firing] = []
    with transaction.atomic():
        _lock_pairs([o for o, _ in candidates], now)
        facts.load_decision_state([o for o, _ in candidates])  # what others wrote meanwhile
        slots = _daily_slots([o for o, _ in candidates], day)
        pending_ids = [o.pending.pk for o, _ in candidates if o.pending is not None]
        pending = Firing.objects.select_for_update().in_bulk(pending_ids) if pending_ids else {}
        immediate = [o for o, _ in candidates if o.pending is None]
        taken = (
            set(
                Firing.objects.filter(
                    trigger__in={o.trigger.pk for o in immediate},
                    visitor_id__in={o.visitor_id for o in immediate},
                    occurrence_key__in={o.key for o in immediate},
                ).values_list("trigger_id", "visitor_id", "occurrence_key")
            )
            if immediate
            else set()
        )
        new: list[Firing] = []
        changed: list[Firing] = []
        for occurrence, failed in candidates:
            trigger, visitor_id = occurrence.trigger, occurrence.visitor_id
            if occurrence.pending is not None:
                firing = pending.get(occurrence.pending.pk)
                if firing is None or firing.status != Firing.Status.PENDING:
                    continue
                firing.trigger = trigger  # the loaded trigger, not a query per row
                if failed is not None and failed.check == "quiet hours":
                    firing.due_at = matching.quiet_hours_end(
                        now.astimezone(store_zone()),
                        trigger.quiet_start_hour,
                        trigger.quiet_end_hour,
                    )
                    changed.append(firing)
                    continue
                changed.append(firing)
            else:
                identity = (trigger.pk, visitor_id, occurrence.key)
                if identity in taken:
                    continue
                taken.add(identity)
                firing = Firing(
                    trigger=trigger,
                    visitor_id=visitor_id,
                    occurrence_key=occurrence.key,
                    entry_at=occurrence.entry.timestamp if occurrence.entry else now,
                    due_at=now,
                )
                new.append(firing)
            if failed is None:
                # Re-checked under the locks: a concurrent decision may have fired meanwhile.
                if not matching.frequency_allows(
                    facts.fired_times(trigger, visitor_id),
                    now,
                    trigger.frequency_cap_count,
                    trigger.frequency_cap_seconds,
                ):
                    failed = matching.Step("frequency cap", False, "reached")
                elif trigger.daily_cap is not None and slots.get(trigger.pk, 0) <= 0:
                    failed = matching.Step("daily cap", False, "reached")
            firing.decided_at = now
            if failed is not None:
                firing.status = (
                    Firing.Status.CANCELLED
                    if failed.check == "cancel event"
                    else Firing.Status.SKIPPED
                )
                firing.reason = f"{failed.check}: {failed.detail}"[:200]
                continue
            if trigger.daily_cap is not None:
                slots[trigger.pk] -= 1
            facts.record_firing(trigger, visitor_id)
            firing.status = Firing.Status.FIRED
            rendered = render_action(
                trigger=trigger,
                visitor_id=visitor_id,
                profile_entry=facts.profile_entry(visitor_id) or {},
                occurrence_key=occurrence.key,
                entry=occurrence.entry,
                now=now,
            )
            firing.result = {**firing.result, "action": rendered}
            if trigger.action not in (Trigger.Action.EMAIL, Trigger.Action.WEBHOOK):
                firing.delivered_at = now  # acted on inside pz, in this transaction
        decided = _insert_firings(new) + changed
        _save_decided(changed)
        fired = [f for f in decided if f.status == Firing.Status.FIRED]
        _count_daily(fired, day)
        _act_locally(fired, now)
    deliveries = [
        f.pk for f in fired if f.trigger.action in (Trigger.Action.EMAIL, Trigger.Action.WEBHOOK)
    ]
    for firing_id in deliveries:
        transaction.on_commit(lambda pk=firing_id: _schedule_delivery(pk))
    return decided


def decide_and_fire(
    *,
    trigger: Trigger,
    visitor_id: str,
    occurrence_key: str,
    entry: Entry | None,
    now: datetime,
) -> Firing | None:
    """`decide_occurrences` of one immediate occurrence; None when it left no row."""
    decided = decide_occurrences(
        occurrences=[Occurrence(trigger, visitor_id, occurrence_key, entry)], now=now
    )
    return decided[0] if decided else None


def _save_decided(firings: list[Firing]) -> None:
    # One UPDATE per distinct outcome: skipped and cancelled rows share theirs, while
    # bulk_update's CASE per field and row costs more than it saves.
    groups: dict[tuple[Any, ...], list[int]] = {}
    for firing in firings:
        values = (
            firing.status,
            firing.reason,
            firing.decided_at,
            firing.delivered_at,
            firing.due_at,
            json.dumps(firing.result, sort_keys=True, default=str),
        )
        groups.setdefault(values, []).append(firing.pk)
    for (status, reason, decided_at, delivered_at, due_at, _), ids in groups.items():
        result = next(f.result for f in firings if f.pk == ids[0])
        Firing.objects.filter(pk__in=ids).update(
            status=status,
            reason=reason,
            decided_at=decided_at,
            delivered_at=delivered_at,
            due_at=due_at,
            result=result,
        )


def _count_daily(fired: list[Firing], day: Any) -> None:
    counts: dict[int, int] = {}
    for firing in fired:
        if firing.trigger.daily_cap is not None:
            counts[firing.trigger_id] = counts.get(firing.trigger_id, 0) + 1
    for trigger_id, count in counts.items():
        TriggerDayCount.objects.filter(trigger_id=trigger_id, day=day).update(
            fired=F("fired") + count
        )


# --- actions ----------------------------------------------------------------------------


def _email_address(profile_entry: dict[str, Any] | None) -> str:
    if not profile_entry or profile_entry["state"].customer_key is None:
        return ""
    return str(profile_entry["state"].attributes.get("email") or "")


def placeholder_values(profile_entry: dict[str, Any]) -> dict[str, Any]:
    state = profile_entry.get("state")
    attributes = dict(state.attributes) if state else {}
    context = dict(state.last_context) if state else {}
    return {
        "visitor.first_name": attributes.get("first_name"),
        "visitor.city": attributes.get("city") or context.get("city"),
        "visitor.country": context.get("country"),
        "visitor.loyalty_tier": attributes.get("loyalty_tier"),
        "shop.name": settings.PZ_SHOP_NAME,
    }


def webhook_body(
    *, trigger: Trigger, visitor_id: str, occurrence_key: str, entry: Entry | None, now: datetime
) -> bytes:
    payload = {
        "trigger": trigger.key,
        "visitor_id": visitor_id,
        "occurrence": occurrence_key,
        "fired_at": now.isoformat(),
        "entry": (
            {
                "event": entry.event_pk,
                "at": entry.timestamp.isoformat(),
                "properties": entry.properties,
            }
            if entry
            else None
        ),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def render_action(
    *,
    trigger: Trigger,
    visitor_id: str,
    profile_entry: dict[str, Any],
    occurrence_key: str,
    entry: Entry | None,
    now: datetime,
    preview: bool = False,
) -> dict[str, Any]:
    """The action as it would be carried out, rendered without doing it. A pop-up's HTML
    only for a preview: the visitor's next request renders it."""
    action = trigger.action
    if action == Trigger.Action.ONSITE:
        from content.rendering import render_component

        if trigger.popup is None:
            return {"type": action, "error": "no component"}
        if not preview:
            return {"type": action, "component": trigger.popup.key}
        fragment = render_component(
            trigger.popup, values=placeholder_values(profile_entry), placement_key="trigger-popup"
        )
        return {"type": action, "component": trigger.popup.key, "html": fragment.html}
    if action == Trigger.Action.EMAIL:
        template = trigger.email_template
        values = placeholder_values(profile_entry)
        subject = resolve(template.subject, values, escape=False) if template else None
        body = resolve(template.body, values, escape=False) if template else None
        return {
            "type": action,
            "to": _email_address(profile_entry),
            "subject": subject.text if subject else "",
            "body": body.text if body else "",
            "unknown_tokens": (subject.unknown + body.unknown) if subject and body else [],
        }
    if action == Trigger.Action.WEBHOOK:
        body_bytes = webhook_body(
            trigger=trigger,
            visitor_id=visitor_id,
            occurrence_key=occurrence_key,
            entry=entry,
            now=now,
        )
        return {
            "type": action,
            "url": trigger.webhook_url,
            "body": body_bytes.decode(),
            "signature": matching.sign(trigger.webhook_secret, body_bytes),
        }
    return {"type": action, "segment": trigger.segment.key if trigger.segment else None}


def _act_locally(fired: list[Firing], now: datetime) -> None:
    """Actions inside pz happen in the firings' transaction, so they commit with them."""
    popups = {
        f.visitor_id: f
        for f in fired
        if f.trigger.action == Trigger.Action.ONSITE and f.trigger.popup_id
    }  # a visitor's newest pop-up wins
    if popups:
        ttl = settings.PZ_TRIGGERS_ONSITE_TTL_SECONDS
        PendingMessage.objects.bulk_create(
            [
                PendingMessage(
                    visitor_id=visitor_id,
                    trigger_id=firing.trigger_id,
                    firing=firing,
                    component_id=firing.trigger.popup_id,
                    created_at=now,
                    expires_at=now + timedelta(seconds=ttl),
                )
                for visitor_id, firing in popups.items()
            ],
            update_conflicts=True,
            unique_fields=["visitor_id"],
            update_fields=["trigger", "firing", "component", "created_at", "expires_at"],
        )
        values = {ONSITE_CACHE_PREFIX + v: f.trigger.popup_id for v, f in popups.items()}
        transaction.on_commit(lambda: cache.set_many(values, ttl))
    from segments.services import static_members_change

    changes: dict[tuple[int, str], list[Firing]] = {}
    for firing in fired:
        if firing.trigger.action in (Trigger.Action.SEGMENT_ADD, Trigger.Action.SEGMENT_REMOVE):
            key = (firing.trigger.segment_id, firing.trigger.action)
            changes.setdefault(key, []).append(firing)
    for (_, action), firings in changes.items():
        members = [f.visitor_id for f in firings]
        if action == Trigger.Action.SEGMENT_ADD:
            static_members_change(segment=firings[0].trigger.segment, add=members)
        else:
            static_members_change(segment=firings[0].trigger.segment, remove=members)


def _schedule_delivery(firing_id: int) -> None:
    from triggers.tasks import deliver_firing_task

    deliver_firing_task.delay(firing_id)


def onsite_message_shown(*, visitor_id: str) -> None:
    """The visitor saw their pending pop-up: it is not shown again."""
    PendingMessage.objects.filter(visitor_id=visitor_id).delete()
    cache.delete(ONSITE_CACHE_PREFIX + visitor_id)


def deliver(*, firing_id: int, attempt: int, now: datetime | None = None) -> DeliveryOutcome:
    """Send a fired email or webhook (attempt is 1-based). A webhook that fails is retried
    with exponential backoff; after the last attempt the firing is dead and a dead letter
    keeps the body."""
    now = now or timezone.now()
    firing = Firing.objects.select_related("trigger", "trigger__email_template").get(pk=firing_id)
    trigger = firing.trigger
    if firing.status != Firing.Status.FIRED or firing.delivered_at is not None:
        return DeliveryOutcome(delivered=firing.delivered_at is not None)
    action = firing.result.get("action") or {}
    Firing.objects.filter(pk=firing.pk).update(attempts=attempt)
    try:
        if trigger.action == Trigger.Action.EMAIL:
            send_mail(
                action.get("subject", ""),
                action.get("body", ""),
                settings.DEFAULT_FROM_EMAIL,
                [action["to"]],
            )
            result: dict[str, Any] = {"sent_to": action["to"]}
        else:
            result = {"status_code": _post_webhook(trigger, action["body"].encode())}
    except Exception as exc:  # noqa: BLE001 - any failure of the channel is recorded
        error = f"{type(exc).__name__}: {exc}"[:1000]
        last = trigger.action == Trigger.Action.EMAIL or attempt >= trigger.webhook_max_attempts
        if not last:
            Firing.objects.filter(pk=firing.pk).update(reason=f"attempt {attempt}: {error}"[:200])
            return DeliveryOutcome(
                delivered=False,
                retry_in=matching.backoff_seconds(
                    attempt, base=settings.PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS
                ),
                error=error,
            )
        with transaction.atomic():
            status = Firing.Status.FAILED
            if trigger.action == Trigger.Action.WEBHOOK:
                status = Firing.Status.DEAD
                DeadLetter.objects.update_or_create(
                    firing=firing,
                    defaults={
                        "url": trigger.webhook_url,
                        "body": action.get("body", ""),
                        "attempts": attempt,
                        "last_error": error,
                    },
                )
            Firing.objects.filter(pk=firing.pk).update(status=status, reason=error[:200])
        return DeliveryOutcome(delivered=False, error=error)
    Firing.objects.filter(pk=firing.pk).update(
        delivered_at=now, result={**firing.result, "delivery": result}
    )
    return DeliveryOutcome(delivered=True)


def _post_webhook(trigger: Trigger, body: bytes) -> int:
    if not trigger.webhook_url.startswith(("http://", "https://")):
        raise DeliveryError("only http(s) URLs are called")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        trigger.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "pz-triggers",
            matching.SIGNATURE_HEADER: matching.sign(trigger.webhook_secret, body),
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 - scheme checked above
            request, timeout=trigger.webhook_timeout_seconds
        ) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from exc


# --- visitor data -----------------------------------------------------------------------


def move_visitor(*, source_visitor_id: str, target_visitor_id: str) -> None:
    """Stitching (inside its transaction, so nothing here may fail): the anonymous id's
    waiting occurrences end and its pending pop-up follows the known visitor. The log
    stays under the id it happened to."""
    Firing.objects.filter(visitor_id=source_visitor_id, status=Firing.Status.PENDING).update(
        status=Firing.Status.CANCELLED, reason="visitor merged"
    )
    if not PendingMessage.objects.filter(visitor_id=target_visitor_id).exists():
        PendingMessage.objects.filter(visitor_id=source_visitor_id).update(
            visitor_id=target_visitor_id
        )
    PendingMessage.objects.filter(visitor_id=source_visitor_id).delete()
    keys = [ONSITE_CACHE_PREFIX + source_visitor_id, ONSITE_CACHE_PREFIX + target_visitor_id]
    transaction.on_commit(lambda: cache.delete_many(keys))


# --- admin operations -------------------------------------------------------------------

AUDITED_FIELDS = (
    "name",
    "key",
    "enabled",
    "kind",
    "entry_event",
    "wait_seconds",
    "cancel_event",
    "conditions",
    "frequency_cap_count",
    "frequency_cap_seconds",
    "daily_cap",
    "quiet_start_hour",
    "quiet_end_hour",
    "consent",
    "action",
    "popup",
    "email_template",
    "webhook_url",
    "webhook_timeout_seconds",
    "webhook_max_attempts",
    "segment",
)


def trigger_snapshot(trigger: Trigger) -> dict[str, Any]:
    """The audited fields of a trigger; the webhook secret only as a fingerprint, so a
    rotation shows in the log and the secret does not."""
    values = snapshot(trigger, AUDITED_FIELDS)
    secret = trigger.webhook_secret
    values["webhook_secret"] = (
        "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:8] if secret else ""
    )
    return values


def record_trigger_change(
    *, trigger: Trigger, action: str, user: Any = None, before: dict[str, Any] | None = None
) -> None:
    """Audit a create, edit or delete of a trigger (who, when, fields before and after)."""
    deleted = action == "wagtail.delete"
    record_change(
        instance=trigger,
        action=action,
        user=user,
        before=before,
        after=None if deleted else trigger_snapshot(trigger),
        deleted=deleted,
    )


@transaction.atomic
def trigger_set_enabled(*, trigger: Trigger, enabled: bool, user: Any = None) -> Trigger:
    """Switch a trigger on or off. A disabled trigger starts nothing new and its waiting
    occurrences are cancelled when their check comes."""
    before = trigger_snapshot(trigger)
    trigger.enabled = enabled
    trigger.save(update_fields=["enabled", "updated_at"])
    record_trigger_change(trigger=trigger, action="wagtail.edit", user=user, before=before)
    return trigger
