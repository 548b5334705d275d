"""The firing decision: every check of an occurrence read from a batch-wide cache, then,
under per-visitor locks, the caps re-read and the firings written at most
once. One path (`assess`) serves real firings, delayed checks, sweeps and the admin's
dry run, so what the dry run shows is what would happen."""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Max
from django.db.models.base import ModelState

from core import clock
from core.bucketing import in_share
from core.holdout import in_global_holdout
from core.sql_rows import rows_source
from segments.conditions import (
    EventWindow,
    Facts,
    InMemoryEventWindows,
)
from tracking.models import Event
from tracking.profile_entry import Consent, ProfileEntry
from tracking.profile_state import ProfileDocument, ProfileSettings
from tracking.selectors import (
    consent_of,
    get_profile_entry,
    profile_cache_key,
    profile_entry_from,
    profile_settings,
)
from triggers import matching
from triggers.matching import Check, Entry, Outcome
from triggers.models import (
    Firing,
    Trigger,
    TriggerDayCount,
    TriggerVisitorLock,
)
from triggers.selectors import (
    RuleTraits,
    compiled_conditions,
    fired_count,
    firing_history,
    rule_traits,
)
from triggers.services.actions import act_locally, render_action, schedule_delivery
from triggers.services.email import recipient
from triggers.wording import frequency_cap_text

MISSING = object()

# Rule fields answered from the profile entry alone (no event window, no segment).
PREFILTER_FIELDS = ("profile.", "context.", "attributes.", "customer.")


def store_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.PZ_TRIGGERS_TIME_ZONE)


class Occurrence(NamedTuple):
    """One (trigger, visitor, occurrence) to decide; `pending` when it waited. A tuple:
    a batch makes one per (trigger, visitor), tens of thousands."""

    trigger: Trigger
    visitor_id: str
    key: str
    entry: Entry | None
    pending: Firing | None = None


class FactsCache:
    """What decisions read about visitors, loaded once for a whole batch: profile entries,
    recent events (one query covering the windows of every trigger), cancel events, the
    firings that count against caps, daily counts; plus memoized rule facts."""

    def __init__(self, now: datetime, triggers: Iterable[Trigger] = ()) -> None:
        self.now = now
        self.longest: dict[str, int] = {}
        for trigger in triggers:
            self._want(rule_traits(trigger).windows)
        self._entries: dict[str, ProfileEntry | None] = {}
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._facts: dict[str, Facts] = {}
        self._segments: dict[str, frozenset[str]] = {}
        self._fired: dict[tuple[int, str], int] = {}
        self._cancels: dict[tuple[str, str], datetime | None] = {}  # the latest, up to now
        self._daily: dict[tuple[int, Any], int] = {}
        self._rules: set[int] = set()  # triggers whose windows are wanted
        self._consents: dict[str, Consent] = {}
        self._holds: dict[tuple[str, str, int | None], bool] = {}
        self._ruled_out: dict[tuple[tuple[str, bool, str], str], bool] = {}
        self._gates: dict[int, tuple[str, bool, str]] = {}  # shared by equal triggers
        self._leaves: dict[tuple[int, int], Any] = {}  # compiled rule leaves, by node
        self._held_out: dict[str, bool] = {}
        self._recipients: dict[str, tuple[str, str]] = {}
        self._base: dict[str, Facts] = {}

    def _want(self, windows: Iterable[EventWindow]) -> bool:
        grew = False
        for window in windows:
            if window.within_seconds > self.longest.get(window.event_type, 0):
                self.longest[window.event_type] = window.within_seconds
                grew = True
        return grew

    def profile_entry(self, visitor_id: str) -> ProfileEntry | None:
        if visitor_id not in self._entries:
            self._entries[visitor_id] = get_profile_entry(visitor_id)
        return self._entries[visitor_id]

    @cached_property
    def profile_config(self) -> ProfileSettings:
        return profile_settings()

    @cached_property
    def local_now(self) -> datetime:
        """`now` in the store's time zone (quiet hours, daily caps)."""
        return self.now.astimezone(store_zone())

    def preload_entries(self, visitor_ids: Iterable[str]) -> None:
        """The profile entries of a batch's visitors in one cache round trip."""
        wanted = [v for v in visitor_ids if v not in self._entries]
        if not wanted:
            return
        cached = cache.get_many([profile_cache_key(v) for v in wanted])
        for visitor_id in wanted:
            self._entries[visitor_id] = profile_entry_from(
                visitor_id, cached.get(profile_cache_key(visitor_id))
            )

    def consent(self, visitor_id: str) -> Consent:
        if visitor_id not in self._consents:
            self._consents[visitor_id] = consent_of(self.profile_entry(visitor_id))
        return self._consents[visitor_id]

    def ruled_out(self, occurrence: Occurrence) -> bool:
        """Whether an immediate occurrence fails before any query: no profile, no
        consent, held out, no address for an e-mail, or conditions whose profile and
        context leaves already decide them false (event windows and segments unknown).
        The same checks `assess` makes, so nothing that would fire is dropped. The
        verdict is kept per visitor and (consent, e-mail, conditions) unless an answered
        leaf reads `$entry.`."""
        trigger, visitor_id = occurrence.trigger, occurrence.visitor_id
        # Triggers asking the same consent, address and conditions share verdicts.
        gate = self._gates.get(trigger.id)
        if gate is None:
            gate = (
                trigger.consent,
                trigger.action == Trigger.Action.EMAIL,
                rule_traits(trigger).key,
            )
            self._gates[trigger.id] = gate
        memo_key = (gate, visitor_id)
        verdict = self._ruled_out.get(memo_key)
        if verdict is None:
            verdict, read_entry = self._rules_out(occurrence)
            if not read_entry:
                self._ruled_out[memo_key] = verdict
        return verdict

    def _rules_out(self, occurrence: Occurrence) -> tuple[bool, bool]:
        """`ruled_out`'s verdict, and whether it read the entry's values."""
        trigger, visitor_id = occurrence.trigger, occurrence.visitor_id
        entry = self.profile_entry(visitor_id)
        if entry is None or not self.consent(visitor_id).allows(trigger.consent):
            return True, False
        if self.held_out(visitor_id):
            return True, False
        if trigger.action == Trigger.Action.EMAIL and not self.recipient(visitor_id)[0]:
            return True, False
        if not trigger.conditions:
            return False, False
        read_entry = False

        def leaf(node: dict[str, Any]) -> bool | None:
            nonlocal read_entry
            # What a leaf is, worked out once per batch: unknown here (None), read with
            # the entry's values (False), or compiled.
            kind = self._leaves.get((trigger.id, id(node)), MISSING)
            if kind is MISSING:
                if "field" not in node or not str(node["field"]).startswith(PREFILTER_FIELDS):
                    kind = None
                elif matching.uses_entry(node):
                    kind = False
                else:
                    kind = compiled_conditions(trigger, node)
                self._leaves[(trigger.id, id(node))] = kind
            if kind is None:
                return None
            if kind is False:
                read_entry = True
                properties = occurrence.entry.properties if occurrence.entry else {}
                kind = compiled_conditions(trigger, node, properties)
            return kind(self.base_facts(visitor_id))

        return matching.prefilter(trigger.conditions, leaf) is False, read_entry

    def held_out(self, visitor_id: str) -> bool:
        """Whether the visitor is in the global holdout (personalization consent only)."""
        if visitor_id not in self._held_out:
            entry = self.profile_entry(visitor_id)
            self._held_out[visitor_id] = self.consent(visitor_id).personalization and (
                in_global_holdout(entry.bucketing_id if entry else None)
            )
        return self._held_out[visitor_id]

    def recipient(self, visitor_id: str) -> tuple[str, str]:
        if visitor_id not in self._recipients:
            self._recipients[visitor_id] = recipient(self.profile_entry(visitor_id))
        return self._recipients[visitor_id]

    def base_facts(self, visitor_id: str) -> Facts:
        """A visitor's profile, attributes and context, without events."""
        if visitor_id not in self._base:
            entry = self.profile_entry(visitor_id)
            assert entry is not None  # noqa: S101 - facts are read for known visitors only
            state = entry.state
            local = self.local_now
            context = {
                **(state.last_context or {}),
                "local_hour": local.hour,
                "local_weekday": local.isoweekday(),
                "logged_in": state.customer_key is not None,
            }
            self._base[visitor_id] = Facts(
                profile=ProfileDocument(state, self.now, self.profile_config, exact=True),
                attributes=state.attributes,
                context=context,
                events=InMemoryEventWindows([], now=self.now),
            )
        return self._base[visitor_id]

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

    def load_decision_state(self, occurrences: list[Occurrence]) -> set[tuple[int, str, str]]:
        """Cap counts and cancel events of these occurrences, one query each; returns the
        (trigger id, visitor, key) of the immediate ones that already have a row (a
        redelivered task). Read under the decision locks, so the caps count what
        concurrent decisions wrote (today's counts come from `_lock_daily_counts`)."""
        history = []
        # One datetime per trigger: a datetime caches its hash, the rows' set hashes them.
        cap_starts: dict[int, datetime | None] = {}
        for o in occurrences:
            trigger = o.trigger
            if trigger.id in cap_starts:
                since = cap_starts[trigger.id]
            else:
                since = None
                if trigger.frequency_cap_count and trigger.frequency_cap_seconds:
                    since = self.now - timedelta(seconds=trigger.frequency_cap_seconds)
                cap_starts[trigger.id] = since
            key = o.key if o.pending is None else None
            if since is not None or key is not None:
                history.append((trigger.id, o.visitor_id, since, key))
        fired, taken = firing_history(history)
        self._fired.update(fired)
        cancelling = [o for o in occurrences if o.trigger.cancel_event and o.entry is not None]
        wanted = {(o.visitor_id, o.trigger.cancel_event) for o in cancelling}
        for key in wanted:
            self._cancels[key] = None
        if cancelling:
            # The latest cancel event per (visitor, type): one row each, not every event.
            rows = (
                Event.objects.filter(
                    visitor_id__in={v for v, _ in wanted},
                    type__in={t for _, t in wanted},
                    timestamp__gte=min(o.entry.timestamp for o in cancelling),  # type: ignore[union-attr]
                    timestamp__lte=self.now,
                )
                .values("visitor_id", "type")
                .annotate(latest=Max("timestamp"))
                .values_list("visitor_id", "type", "latest")
            )
            for visitor_id, event_type, latest in rows:
                if (visitor_id, event_type) in wanted:
                    self._cancels[(visitor_id, event_type)] = latest
        return taken

    def fired_count(self, trigger: Trigger, visitor_id: str) -> int:
        """How often this trigger fired for the visitor within its frequency period."""
        key = (trigger.id, visitor_id)
        if key not in self._fired:
            self._fired[key] = fired_count(trigger, visitor_id, self.now)
        return self._fired[key]

    def frequency_allows(self, trigger: Trigger, visitor_id: str) -> bool:
        if not trigger.frequency_cap_count:
            return True
        return matching.frequency_allows(
            self.fired_count(trigger, visitor_id),
            trigger.frequency_cap_count,
            trigger.frequency_cap_seconds,
        )

    def record_firing(self, trigger: Trigger, visitor_id: str, *, contacted: bool) -> None:
        """A firing decided in this batch: it counts against the frequency cap (control
        included) and, when the visitor was contacted, against today's cap."""
        key = (trigger.id, visitor_id)
        self._fired[key] = self.fired_count(trigger, visitor_id) + 1
        day = self.local_now.date()
        if contacted and trigger.daily_cap is not None:
            self._daily[(trigger.id, day)] = self.daily_fired(trigger, day) + 1

    def set_daily(self, counts: dict[int, int]) -> None:
        """Today's firings per trigger, as read with their day rows locked."""
        day = self.local_now.date()
        for trigger_id, fired in counts.items():
            self._daily[(trigger_id, day)] = fired

    def cancelled(self, trigger: Trigger, visitor_id: str, since: datetime) -> bool:
        key = (visitor_id, trigger.cancel_event)
        if key not in self._cancels:
            self._cancels[key] = Event.objects.filter(
                visitor_id=visitor_id,
                type=trigger.cancel_event,
                timestamp__gte=since,
                timestamp__lte=self.now,
            ).aggregate(latest=Max("timestamp"))["latest"]
        latest = self._cancels[key]
        return latest is not None and latest >= since

    def daily_fired(self, trigger: Trigger, day: Any) -> int:
        key = (trigger.id, day)
        if key not in self._daily:
            row = TriggerDayCount.objects.filter(trigger=trigger, day=day)
            self._daily[key] = row.values_list("fired", flat=True).first() or 0
        return self._daily[key]

    def rule_info(self, trigger: Trigger) -> RuleTraits:
        """The trigger's rule traits; its event windows join what is loaded for every
        visitor."""
        traits = rule_traits(trigger)
        if trigger.id not in self._rules:
            self._rules.add(trigger.id)
            if self._want(traits.windows):  # not announced up front: reload with them
                self._events.clear()
                self._facts.clear()
        return traits

    def conditions_hold(self, trigger: Trigger, visitor_id: str, entry: Entry | None) -> bool:
        """Whether the trigger's conditions hold for the visitor (and entry event, when
        they read it): kept per rule, so triggers with equal rules evaluate it once."""
        traits = self.rule_info(trigger)
        read_entry = traits.uses_entry and entry is not None
        key = (traits.key, visitor_id, entry.event_pk if read_entry else None)  # type: ignore[union-attr]
        holds = self._holds.get(key)
        if holds is None:
            properties = (entry.properties if entry else {}) if traits.uses_entry else None
            facts = self.facts(visitor_id, with_segments=traits.reads_segments)
            rule = compiled_conditions(trigger, trigger.conditions, properties)
            holds = self._holds[key] = bool(rule(facts))
        return holds

    def facts(self, visitor_id: str, *, with_segments: bool = False) -> Facts:
        if visitor_id not in self._events:
            self.preload([visitor_id])
        if visitor_id not in self._facts:
            base = self.base_facts(visitor_id)
            self._facts[visitor_id] = Facts(
                profile=base.profile,
                attributes=base.attributes,
                context=base.context,
                events=InMemoryEventWindows(self._events[visitor_id], now=self.now),
            )
        facts = self._facts[visitor_id]
        if with_segments:
            if visitor_id not in self._segments:
                from segments.selectors import visitor_context

                keys = visitor_context(visitor_id, dict(facts.context), now=self.now).segments
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

    def passes(check: Check, passed: bool, detail: Any) -> bool:
        # A real decision reads only the failing step: `detail` (text, or a function
        # giving it) is worked out for that step, or for every step in the dry run.
        if passed and not full:
            return True
        result.add(check, passed, detail() if callable(detail) else detail)
        return passed or full

    profile_entry = facts.profile_entry(visitor_id)
    known = profile_entry is not None
    if not passes(Check.VISITOR, known, "known profile" if known else "no profile"):
        return result
    if trigger.cancel_event and entry is not None:
        cancelled = facts.cancelled(trigger, visitor_id, entry.timestamp)
        detail = f"{trigger.cancel_event} since the entry event" if cancelled else "none"
        if not passes(Check.CANCEL_EVENT, not cancelled, detail):
            return result
    consent = facts.consent(visitor_id).allows(trigger.consent)
    if not passes(Check.CONSENT, consent, lambda: f"{trigger.consent} consent"):
        return result
    held_out = facts.held_out(visitor_id)
    detail = "in the global holdout" if held_out else "not held out"
    if not passes(Check.HOLDOUT, not held_out, detail):
        return result
    if trigger.action == Trigger.Action.EMAIL:
        address, why_not = facts.recipient(visitor_id)
        if not passes(Check.EMAIL_ADDRESS, bool(address), address or why_not):
            return result
    if trigger.conditions and profile_entry is not None:
        holds = facts.conditions_hold(trigger, visitor_id, entry)
        if not passes(Check.CONDITIONS, holds, "hold" if holds else "do not hold"):
            return result
    elif profile_entry is not None:
        passes(Check.CONDITIONS, True, "none")
    local = facts.local_now
    quiet = matching.in_quiet_hours(local.hour, trigger.quiet_start_hour, trigger.quiet_end_hour)
    if not passes(Check.QUIET_HOURS, not quiet, lambda: f"local time {local:%H:%M}"):
        return result
    allowed = facts.frequency_allows(trigger, visitor_id)
    if not passes(Check.FREQUENCY_CAP, allowed, lambda: frequency_cap_text(trigger)):
        return result
    if trigger.daily_cap is not None:
        fired = facts.daily_fired(trigger, local.date())
        if not passes(
            Check.DAILY_CAP, fired < trigger.daily_cap, f"{fired} of {trigger.daily_cap} today"
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
    now = now or clock.now()
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
    failed = assessment.failed
    outcome = matching.outcome_of(failed.check if failed else None, waited=trigger.wait_seconds > 0)
    return {
        "would_fire": assessment.ok,
        "outcome": outcome,
        "reason": assessment.reason,
        "entry_event": entry.event_pk if entry else None,
        "steps": [
            {
                "check": step.check,
                "label": step.check.label,
                "passed": step.passed,
                "detail": step.detail,
            }
            for step in assessment.steps
        ],
        "action": assessment.rendered,
    }


def _lock_pairs(occurrences: list[Occurrence], now: datetime) -> None:
    # The first statement of the transaction takes the locks, before anything is read, so
    # concurrent decisions of a (trigger, visitor) queue, never deadlock (a fixed order).
    # PostgreSQL: a transaction-scoped advisory lock per visitor (coarser than the pair,
    # and a lock-table slot per visitor rather than per pair), one statement, no row
    # written. SQLite: any write takes the database's write lock, so one row is enough.
    pairs = sorted({(o.trigger.id, o.visitor_id) for o in occurrences})
    if not pairs:
        return
    if connection.vendor == "postgresql":
        keys = sorted({advisory_key(v) for _, v in pairs})
        with connection.cursor() as cursor:
            # The sorted keys in order (one JSON text: psycopg would quote an array
            # parameter value by value); the aggregate takes them one by one.
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(k::bigint)) FROM (SELECT k "
                "FROM json_array_elements_text(%s::json) WITH ORDINALITY AS t(k, n) ORDER BY n) s",
                [json.dumps(keys)],
            )
        return
    if connection.vendor == "sqlite":
        pairs = pairs[:1]
    TriggerVisitorLock.objects.bulk_create(
        [TriggerVisitorLock(trigger_id=t, visitor_id=v, touched_at=now) for t, v in pairs],
        update_conflicts=True,
        unique_fields=["trigger", "visitor_id"],
        update_fields=["touched_at"],
    )


@lru_cache(maxsize=65_536)  # a visitor's decisions come in bursts
def advisory_key(visitor_id: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory lock of a visitor's trigger
    decisions; a rare collision only makes two decisions queue."""
    digest = hashlib.blake2b(f"pz-trigger-decision:{visitor_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _lock_daily_counts(occurrences: list[Occurrence], day: Any) -> dict[int, int]:
    """Today's firings of each daily-capped trigger, with its day row locked."""
    capped = {o.trigger.id for o in occurrences if o.trigger.daily_cap is not None}
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
    return dict(rows)


# A new firing's values before a decision sets them: the model's defaults, read once
# (a callable default, like `result`'s dict, is made per row).
FIRING_DEFAULTS = {
    field.attname: field.get_default()
    for field in Firing._meta.concrete_fields
    if not (field.has_default() and callable(field.default))
}


def new_firing(trigger: Trigger, **values: Any) -> Firing:
    """An unsaved firing of `trigger`, made as the ORM makes a row it loaded (attributes
    and state set, no constructor): `Firing(...)` sets every field one by one and asks the
    database router about the trigger, which cost more than inserting the row."""
    firing = Firing.__new__(Firing)
    firing.__dict__.update(FIRING_DEFAULTS, result={}, trigger_id=trigger.id)
    firing.__dict__.update(values)
    firing._state = ModelState()
    Firing.trigger.field.set_cached_value(firing, trigger)
    return firing


# Every column of a new firing row with its PostgreSQL type, in the order of the INSERT.
FIRING_TYPES = (
    ("trigger_id", "bigint"),
    ("visitor_id", "text"),
    ("occurrence_key", "text"),
    ("status", "text"),
    ("reason", "text"),
    ("result", "jsonb"),
    ("entry_at", "timestamptz"),
    ("due_at", "timestamptz"),
    ("created_at", "timestamptz"),
    ("decided_at", "timestamptz"),
    ("delivered_at", "timestamptz"),
    ("attempts", "int"),
)
FIRING_COLUMNS = tuple(name for name, _ in FIRING_TYPES)


def insert_firings(firings: list[Firing]) -> list[Firing]:
    """Insert new firings and return those inserted, with their ids; a row another
    decision wrote first (the same occurrence, or a second pending wait) is skipped. One
    INSERT .. SELECT from the rows as one JSON parameter, ON CONFLICT DO NOTHING
    RETURNING: `bulk_create` prepares every field of every row through the ORM, which
    cost more than the writes."""
    if not firings:
        return []
    created = clock.now()
    for firing in firings:
        firing.created_at = created
    rows = [[f.__dict__[name] for name in FIRING_COLUMNS] for f in firings]
    source, params = rows_source(rows, FIRING_TYPES, "r")
    table = connection.ops.quote_name(Firing._meta.db_table)
    columns = ", ".join(FIRING_COLUMNS)
    by_identity = {(f.trigger_id, f.visitor_id, f.occurrence_key): f for f in firings}
    inserted: list[Firing] = []
    with connection.cursor() as cursor:
        cursor.execute(
            # WHERE true: SQLite reads ON after a FROM as a join's unless a WHERE comes first.
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {source} WHERE true "  # noqa: S608 - fixed names
            "ON CONFLICT DO NOTHING RETURNING id, trigger_id, visitor_id, occurrence_key",
            params,
        )
        alias = connection.alias
        for pk, *identity in cursor.fetchall():
            firing = by_identity[tuple(identity)]
            firing.id = pk
            firing._state.adding = False
            firing._state.db = alias
            inserted.append(firing)
    return inserted


def decide_occurrences(
    *, occurrences: list[Occurrence], now: datetime, facts: FactsCache | None = None
) -> list[Firing]:
    """Decide occurrences and act, each at most once: unique occurrence keys make
    duplicates no-ops, and the caps are read under per-visitor locks, so of concurrent
    decisions of a (trigger, visitor) the later one sees what the earlier one wrote. An
    immediate occurrence that cannot fire leaves no row (a capped visitor's every event
    would write one); the log holds waited occurrences and every firing."""
    if not occurrences:
        return []
    facts = facts or FactsCache(now, {o.trigger.id: o.trigger for o in occurrences}.values())
    facts.preload_entries({o.visitor_id for o in occurrences})
    # An immediate occurrence that cannot fire leaves no row: drop it before any query.
    occurrences = [o for o in occurrences if o.pending is not None or not facts.ruled_out(o)]
    if not occurrences:
        return []
    facts.preload(sorted({o.visitor_id for o in occurrences}))
    day = now.astimezone(store_zone()).date()
    decided: list[Firing] = []
    with transaction.atomic():
        # The locks first, then every read a concurrent decision could change.
        _lock_pairs(occurrences, now)
        facts.set_daily(_lock_daily_counts(occurrences, day))
        taken = facts.load_decision_state(occurrences)
        pending_ids = [o.pending.pk for o in occurrences if o.pending is not None]
        pending = Firing.objects.select_for_update().in_bulk(pending_ids) if pending_ids else {}
        new: list[Firing] = []
        changed: list[Firing] = []
        for occurrence in occurrences:
            trigger, visitor_id = occurrence.trigger, occurrence.visitor_id
            identity = (trigger.id, visitor_id, occurrence.key)
            if occurrence.pending is None:
                if identity in taken or not facts.frequency_allows(trigger, visitor_id):
                    continue  # decided before, or capped: no row, no need to assess
            else:
                waited = pending.get(occurrence.pending.pk)
                if waited is None or waited.status != Firing.Status.PENDING:
                    continue  # decided meanwhile
            failed = assess(
                trigger=trigger, visitor_id=visitor_id, entry=occurrence.entry, now=now, facts=facts
            ).failed
            if occurrence.pending is not None:
                firing = waited
                firing.trigger = trigger  # the loaded trigger, not a query per row
                checked = failed.check if failed else None
                if matching.outcome_of(checked, waited=True) is Outcome.DEFER:
                    firing.due_at = matching.quiet_hours_end(
                        now.astimezone(store_zone()),
                        trigger.quiet_start_hour,
                        trigger.quiet_end_hour,
                    )
                    changed.append(firing)
                    continue
                changed.append(firing)
            else:
                if failed is not None:
                    continue
                taken.add(identity)
                firing = new_firing(
                    trigger,
                    visitor_id=visitor_id,
                    occurrence_key=occurrence.key,
                    entry_at=occurrence.entry.timestamp if occurrence.entry else now,
                    due_at=now,
                )
                new.append(firing)
            firing.decided_at = now
            if failed is not None:
                outcome = matching.outcome_of(failed.check, waited=occurrence.pending is not None)
                firing.status = (
                    Firing.Status.CANCELLED if outcome is Outcome.CANCEL else Firing.Status.SKIPPED
                )
                firing.reason = failed.described[:200]
                continue
            entry = facts.profile_entry(visitor_id)
            control = in_control_group(trigger, entry.bucketing_id if entry else None)
            # The frequency cap treats control as contacted; the daily cap counts sends.
            facts.record_firing(trigger, visitor_id, contacted=not control)
            if control:
                firing.status = Firing.Status.CONTROL
                firing.reason = "control group: would have fired, not contacted"
                continue
            firing.status = Firing.Status.FIRED
            rendered = render_action(
                trigger=trigger,
                visitor_id=visitor_id,
                profile_entry=facts.profile_entry(visitor_id),
                occurrence_key=occurrence.key,
                entry=occurrence.entry,
                now=now,
            )
            firing.result = {**firing.result, "action": rendered}
            if trigger.action not in (Trigger.Action.EMAIL, Trigger.Action.WEBHOOK):
                firing.delivered_at = now  # acted on inside pz, in this transaction
        decided = insert_firings(new) + changed
        _save_decided(changed)
        fired = [f for f in decided if f.status == Firing.Status.FIRED]
        _count_daily(fired, day)
        act_locally(fired, now)
    deliveries = [
        f.pk for f in fired if f.trigger.action in (Trigger.Action.EMAIL, Trigger.Action.WEBHOOK)
    ]
    for firing_id in deliveries:
        transaction.on_commit(lambda pk=firing_id: schedule_delivery(pk))
    return decided


def in_control_group(trigger: Trigger, bucketing_id: str | None) -> bool:
    """Whether this visitor is in the trigger's control group: a stable hash of their
    bucketing id per trigger, so the same visitor is control for a trigger every time."""
    return bool(bucketing_id) and in_share(
        trigger.control_share, "trigger-control", trigger.key, bucketing_id
    )


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
    # One UPDATE per distinct outcome (skipped and cancelled rows share theirs) or per
    # deferred due time, then the rendered actions of the fired ones: bulk_update's CASE
    # per field and row is cheap for one field, costly for several.
    groups: dict[tuple[Any, ...], list[int]] = {}
    for firing in firings:
        if firing.status == Firing.Status.PENDING:  # deferred past quiet hours
            key: tuple[Any, ...] = ("due", firing.due_at)
        else:
            key = ("decided", firing.status, firing.reason, firing.decided_at, firing.delivered_at)
        groups.setdefault(key, []).append(firing.pk)
    for key, ids in groups.items():
        if key[0] == "due":
            Firing.objects.filter(pk__in=ids).update(due_at=key[1])
        else:
            _, status, reason, decided_at, delivered_at = key
            Firing.objects.filter(pk__in=ids).update(
                status=status, reason=reason, decided_at=decided_at, delivered_at=delivered_at
            )
    fired = [f for f in firings if f.status == Firing.Status.FIRED]
    if fired:
        # Each fired row gets its own rendered action: one prepared statement run per row
        # (executemany) instead of bulk_update's CASE, which costs more to build than to run.
        field = Firing._meta.get_field("result")
        table = connection.ops.quote_name(Firing._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET result = %s WHERE id = %s",  # noqa: S608 - fixed names
                [(field.get_db_prep_save(f.result, connection), f.pk) for f in fired],
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
