"""Writes of triggers: match ingested events, wait, decide under caps, act, deliver.

One decision path (`assess`) serves the real firing, the delayed check, the sweep and
the admin's dry run, so what the dry run shows is what would happen.
"""

from __future__ import annotations

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
    ENTRY_TYPES_CACHE_KEY,
    ONSITE_CACHE_PREFIX,
    compiled_conditions,
    fired_times,
)

logger = logging.getLogger(__name__)
# Firings that count against the frequency cap: everything that was sent or tried.
SENT_STATUSES = (Firing.Status.FIRED, Firing.Status.FAILED, Firing.Status.DEAD)


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


def handle_ingested(
    *, visitor_ids: Iterable[str], event_types: Iterable[str], now: datetime | None = None
) -> list[Firing]:
    """Start an occurrence of every enabled trigger whose entry event a visitor just sent:
    the visitor's newest such event is the occurrence (a burst is one occurrence)."""
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
    facts = FactsCache(now, (t for t in triggers if not t.wait_seconds))
    facts.preload(sorted({visitor_id for visitor_id, _ in latest}))
    started = []
    for trigger in triggers:
        for visitor_id in ids:
            entry = latest.get((visitor_id, trigger.entry_event))
            if entry is None:
                continue
            firing = start_occurrence(
                trigger=trigger, visitor_id=visitor_id, entry=entry, now=now, facts=facts
            )
            if firing is not None:
                started.append(firing)
    return started


def start_occurrence(
    *,
    trigger: Trigger,
    visitor_id: str,
    entry: Entry,
    now: datetime,
    facts: FactsCache | None = None,
) -> Firing | None:
    """Fire at once, or record a pending occurrence and schedule its check after the wait.
    Returns None when the occurrence was already handled or did not match."""
    occurrence_key = f"event:{entry.event_pk}"
    if not trigger.wait_seconds:
        return decide_and_fire(
            trigger=trigger,
            visitor_id=visitor_id,
            occurrence_key=occurrence_key,
            entry=entry,
            now=now,
            facts=facts,
        )
    due_at = entry.timestamp + timedelta(seconds=trigger.wait_seconds)
    try:
        with transaction.atomic():
            # Both unique constraints answer here: this occurrence, or any pending one of
            # this visitor (debounce), already exists.
            firing = Firing.objects.create(
                trigger=trigger,
                visitor_id=visitor_id,
                occurrence_key=occurrence_key,
                entry_at=entry.timestamp,
                due_at=due_at,
                result={"entry": {"event": entry.event_pk, "properties": entry.properties}},
            )
    except IntegrityError:
        return None
    countdown = max(0.0, (due_at - now).total_seconds())
    transaction.on_commit(lambda: _schedule_check(firing.pk, countdown))
    return firing


def _schedule_check(firing_id: int, countdown: float) -> None:
    from triggers.tasks import check_firing_task

    check_firing_task.apply_async(args=[firing_id], countdown=countdown)


def check_firing(*, firing_id: int, now: datetime | None = None) -> Firing | None:
    """The delayed check of a pending occurrence: cancelled by the cancel event, or decided.
    Early (an eager task, a clock skew) leaves it pending for the sweep of due firings."""
    now = now or timezone.now()
    firing = Firing.objects.select_related("trigger").filter(pk=firing_id).first()
    if firing is None or firing.status != Firing.Status.PENDING or firing.due_at > now:
        return firing
    if not firing.trigger.enabled:
        Firing.objects.filter(pk=firing.pk, status=Firing.Status.PENDING).update(
            status=Firing.Status.CANCELLED, reason="trigger disabled", decided_at=now
        )
        firing.refresh_from_db()
        return firing
    entry_info = firing.result.get("entry") or {}
    entry = Entry(entry_info.get("event") or 0, firing.entry_at, entry_info.get("properties") or {})
    return decide_and_fire(
        trigger=firing.trigger,
        visitor_id=firing.visitor_id,
        occurrence_key=firing.occurrence_key,
        entry=entry,
        now=now,
        pending=firing,
    )


def process_due_firings(*, now: datetime | None = None, limit: int = 500) -> int:
    """Check pending occurrences whose wait is over: the safety net when a delayed task
    was lost, ran early (eager mode) or quiet hours deferred it."""
    now = now or timezone.now()
    due = list(
        Firing.objects.filter(status=Firing.Status.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    for firing_id in due:
        check_firing(firing_id=firing_id, now=now)
    return len(due)


def run_sweeps(*, now: datetime | None = None) -> int:
    """Time-based triggers (lapsed customers): the conditions, compiled to SQL, pick the
    candidates; each is then decided like an event occurrence. A visitor's occurrence is
    their last activity, so a quiet visitor is not asked again every run."""
    from segments.selectors import sql_compiler

    now = now or timezone.now()
    started = 0
    for trigger in Trigger.objects.filter(enabled=True, kind=Trigger.Kind.SWEEP):
        condition = sql_compiler(now).compile(trigger.conditions)
        candidates = (
            VisitorProfile.objects.filter(condition)
            .order_by("visitor_id")
            .values_list("visitor_id", "last_seen")[: settings.PZ_TRIGGERS_SWEEP_BATCH]
        )
        for visitor_id, last_seen in candidates:
            key = f"sweep:{last_seen:%Y%m%dT%H%M%S}" if last_seen else "sweep:never"
            if Firing.objects.filter(
                trigger=trigger, visitor_id=visitor_id, occurrence_key=key
            ).exists():
                continue
            if decide_and_fire(
                trigger=trigger, visitor_id=visitor_id, occurrence_key=key, entry=None, now=now
            ):
                started += 1
    return started


# --- the decision -----------------------------------------------------------------------


class FactsCache:
    """What rules read about visitors, loaded once per visitor for all triggers of a
    batch: the profile entry, the profile document, recent events (one query for every
    visitor, covering the windows of every trigger) and memoized window aggregates."""

    def __init__(self, now: datetime, triggers: Iterable[Trigger] = ()) -> None:
        self.now = now
        self.longest: dict[str, int] = {}
        for trigger in triggers:
            self._want(trigger.conditions)
        self._entries: dict[str, dict[str, Any] | None] = {}
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._facts: dict[str, Facts] = {}
        self._segments: dict[str, frozenset[str]] = {}

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
    `full` (the dry run shows them all)."""
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
        cancelled = Event.objects.filter(
            visitor_id=visitor_id,
            type=trigger.cancel_event,
            timestamp__gte=entry.timestamp,
            timestamp__lte=now,
        ).exists()
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
        fired_times(trigger, visitor_id, now),
        now,
        trigger.frequency_cap_count,
        trigger.frequency_cap_seconds,
    )
    detail = f"{trigger.frequency_cap_count} per {trigger.frequency_cap_seconds}s"
    if not result.add("frequency cap", allowed, detail) and not full:
        return result
    if trigger.daily_cap is not None:
        today = TriggerDayCount.objects.filter(trigger=trigger, day=local.date())
        fired = today.values_list("fired", flat=True).first() or 0
        if (
            not result.add(
                "daily cap", fired < trigger.daily_cap, f"{fired} of {trigger.daily_cap} today"
            )
            and not full
        ):
            return result
    if profile_entry is not None:
        result.rendered = render_action(
            trigger=trigger,
            visitor_id=visitor_id,
            profile_entry=profile_entry,
            occurrence_key="dry-run",
            entry=entry,
            now=now,
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


def _lock(trigger: Trigger, visitor_id: str, now: datetime) -> None:
    # The first statement of the transaction is a write: it takes the row lock (or
    # SQLite's write lock) before anything is read, so decisions of one visitor queue.
    lock = TriggerVisitorLock.objects.filter(trigger=trigger, visitor_id=visitor_id)
    if lock.update(touched_at=now):
        return
    try:
        with transaction.atomic():
            TriggerVisitorLock.objects.create(
                trigger=trigger, visitor_id=visitor_id, touched_at=now
            )
    except IntegrityError:
        lock.update(touched_at=now)


def _take_daily_slot(trigger: Trigger, day: Any) -> bool:
    TriggerDayCount.objects.bulk_create(
        [TriggerDayCount(trigger=trigger, day=day)], ignore_conflicts=True
    )
    return bool(
        TriggerDayCount.objects.filter(
            trigger=trigger, day=day, fired__lt=trigger.daily_cap
        ).update(fired=F("fired") + 1)
    )


def decide_and_fire(
    *,
    trigger: Trigger,
    visitor_id: str,
    occurrence_key: str,
    entry: Entry | None,
    now: datetime,
    pending: Firing | None = None,
    facts: FactsCache | None = None,
) -> Firing | None:
    """Decide an occurrence and act, at most once: the firing row's unique occurrence key
    and the per-visitor lock make duplicates and concurrent events no-ops; the caps are
    re-checked under the lock, so a concurrent duplicate is logged as skipped."""
    assessment = assess(trigger=trigger, visitor_id=visitor_id, entry=entry, now=now, facts=facts)
    failed = next((step for step in assessment.steps if not step.passed), None)
    # An immediate occurrence that fails a check before the lock leaves no row: otherwise
    # every event of a capped (or anonymous, or quiet-hours) visitor would write one. The
    # log holds waited occurrences and every decision taken under the lock.
    if pending is None and failed is not None:
        return None
    with transaction.atomic():
        _lock(trigger, visitor_id, now)
        if pending is None:
            try:
                with transaction.atomic():
                    firing = Firing.objects.create(
                        trigger=trigger,
                        visitor_id=visitor_id,
                        occurrence_key=occurrence_key,
                        entry_at=entry.timestamp if entry else now,
                        due_at=now,
                    )
            except IntegrityError:
                return None
        else:
            firing = Firing.objects.select_for_update().get(pk=pending.pk)
            if firing.status != Firing.Status.PENDING:
                return firing
            if failed is not None and failed.check == "quiet hours":
                local = now.astimezone(store_zone())
                end = matching.quiet_hours_end(
                    local, trigger.quiet_start_hour, trigger.quiet_end_hour
                )
                firing.due_at = end
                firing.save(update_fields=["due_at"])
                return firing
        if failed is None:
            # Re-checked under the lock: a concurrent decision may have fired meanwhile.
            allowed = matching.frequency_allows(
                fired_times(trigger, visitor_id, now),
                now,
                trigger.frequency_cap_count,
                trigger.frequency_cap_seconds,
            )
            if not allowed:
                failed = matching.Step("frequency cap", False, "reached")
            elif trigger.daily_cap is not None and not _take_daily_slot(
                trigger, now.astimezone(store_zone()).date()
            ):
                failed = matching.Step("daily cap", False, "reached")
        firing.decided_at = now
        if failed is not None:
            firing.status = (
                Firing.Status.CANCELLED if failed.check == "cancel event" else Firing.Status.SKIPPED
            )
            firing.reason = f"{failed.check}: {failed.detail}"[:200]
            firing.save(update_fields=["status", "reason", "decided_at"])
            return firing
        firing.status = Firing.Status.FIRED
        profile_entry = (facts or FactsCache(now)).profile_entry(visitor_id)
        rendered = render_action(
            trigger=trigger,
            visitor_id=visitor_id,
            profile_entry=profile_entry or {},
            occurrence_key=occurrence_key,
            entry=entry,
            now=now,
        )
        firing.result = {**firing.result, "action": rendered}
        firing.save(update_fields=["status", "result", "decided_at"])
        _act_locally(trigger, firing, now)
    if trigger.action in (Trigger.Action.EMAIL, Trigger.Action.WEBHOOK):
        transaction.on_commit(lambda: _schedule_delivery(firing.pk))
    return firing


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
) -> dict[str, Any]:
    """The action as it would be carried out, rendered without doing it."""
    action = trigger.action
    if action == Trigger.Action.ONSITE:
        from content.rendering import render_component

        if trigger.popup is None:
            return {"type": action, "error": "no component"}
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


def _act_locally(trigger: Trigger, firing: Firing, now: datetime) -> None:
    """Actions inside pz happen in the firing's transaction, so they commit with it."""
    if trigger.action == Trigger.Action.ONSITE and trigger.popup_id:
        expires = now + timedelta(seconds=settings.PZ_TRIGGERS_ONSITE_TTL_SECONDS)
        PendingMessage.objects.update_or_create(
            visitor_id=firing.visitor_id,
            defaults={
                "trigger": trigger,
                "firing": firing,
                "component_id": trigger.popup_id,
                "created_at": now,
                "expires_at": expires,
            },
        )
        key, ttl = ONSITE_CACHE_PREFIX + firing.visitor_id, (expires - now).total_seconds()
        component_id = trigger.popup_id
        transaction.on_commit(lambda: cache.set(key, component_id, ttl))
        firing.delivered_at = now
        firing.save(update_fields=["delivered_at"])
    elif trigger.action in (Trigger.Action.SEGMENT_ADD, Trigger.Action.SEGMENT_REMOVE):
        from segments.services import static_members_change

        members = [firing.visitor_id]
        if trigger.action == Trigger.Action.SEGMENT_ADD:
            static_members_change(segment=trigger.segment, add=members)
        else:
            static_members_change(segment=trigger.segment, remove=members)
        firing.delivered_at = now
        firing.save(update_fields=["delivered_at"])


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


def trigger_set_enabled(*, trigger: Trigger, enabled: bool) -> Trigger:
    """Switch a trigger on or off. A disabled trigger starts nothing new and its waiting
    occurrences are cancelled when their check comes."""
    trigger.enabled = enabled
    trigger.save(update_fields=["enabled", "updated_at"])
    return trigger
