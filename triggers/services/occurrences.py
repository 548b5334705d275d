"""Where occurrences come from: ingested entry events (fired at once or after a wait),
the delayed checks of waiting ones, the sweep of overdue ones and time-based sweeps."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core import clock
from segments.selectors import sql_compiler
from tracking.models import VisitorProfile
from triggers.matching import Entry, in_quiet_hours
from triggers.models import (
    Firing,
    PendingMessage,
    Trigger,
)
from triggers.selectors import (
    ONSITE_CACHE_PREFIX,
    event_triggers,
    newest_events,
    waiting_pairs,
)
from triggers.services.decisions import (
    Occurrence,
    decide_occurrences,
    insert_firings,
    new_firing,
    store_zone,
)

logger = logging.getLogger(__name__)


def handle_ingested(
    *,
    visitor_ids: Iterable[str],
    event_types: Iterable[str],
    sent_types: dict[str, list[str]] | None = None,
    now: datetime | None = None,
) -> list[Firing]:
    """Start an occurrence of every enabled trigger whose entry event a visitor just sent:
    the visitor's newest such event is the occurrence (a burst is one occurrence). The
    whole batch is decided together: a handful of queries, not a handful per decision.
    `sent_types` narrows it to the types each visitor sent. Without it (an announcement
    replayed after an outage), every visitor's newest event of every listened type is
    taken: one already decided adds nothing (its occurrence key exists), but one that was
    ruled out before leaving no row is decided again on today's facts."""
    now = now or clock.now()
    ids = sorted(set(visitor_ids))
    listened = set(event_types)
    triggers = [t for t in event_triggers() if t.entry_event in listened]
    if not ids or not triggers:
        return []
    lookback = now - timedelta(seconds=settings.PZ_TRIGGERS_ENTRY_LOOKBACK_SECONDS)
    entry_types = {t.entry_event for t in triggers}
    if sent_types is None:
        pairs = [(visitor_id, event_type) for visitor_id in ids for event_type in entry_types]
    else:
        # Only the (visitor, type) pairs sent: a visitor sends one or two of the types.
        pairs = [
            (visitor_id, event_type)
            for visitor_id, types in sent_types.items()
            for event_type in entry_types.intersection(types)
        ]
    # Ingest accepts client clocks a little ahead: such an event is still this batch's
    # entry (with sent_types, no later batch would pick it up).
    newest = newest_events(
        pairs, since=lookback, until=now + timedelta(seconds=settings.PZ_MAX_FUTURE_SKEW_SECONDS)
    )
    # Each type's entries, so triggers pair with the visitors that sent their type only.
    latest: dict[str, list[tuple[str, str, Entry]]] = {}
    for pk, visitor_id, event_type, timestamp, properties in newest:
        latest.setdefault(event_type, []).append(
            (visitor_id, f"event:{pk}", Entry(pk, timestamp, properties or {}))
        )
    for entries in latest.values():
        entries.sort(key=lambda pair: pair[0])
    occurrences = [
        Occurrence(trigger, visitor_id, key, entry)
        for trigger in triggers
        for visitor_id, key, entry in latest.get(trigger.entry_event, ())
    ]
    immediate = [o for o in occurrences if not o.trigger.wait_seconds]
    # One transaction (one commit) for the batch's waits and decisions; one decision for
    # the immediate occurrences and the waits already over (a late batch), sharing one
    # load of the visitors' facts.
    with transaction.atomic():
        started, overdue = _start_waits(
            [o for o in occurrences if o.trigger.wait_seconds], now=now, check_overdue=False
        )
        return started + decide_occurrences(occurrences=immediate + overdue, now=now)


def start_waits(occurrences: list[Occurrence], *, now: datetime) -> list[Firing]:
    """Record waited occurrences as pending and schedule their checks after the wait.
    A visitor already waiting on a trigger keeps that one occurrence (debounce: the
    constraint firing_one_pending enforces it, the read below spares the insert), and
    the unique occurrence key makes a redelivered task add nothing."""
    return _start_waits(occurrences, now=now, check_overdue=True)[0]


def _start_waits(
    occurrences: list[Occurrence], *, now: datetime, check_overdue: bool
) -> tuple[list[Firing], list[Occurrence]]:
    """`start_waits`; without `check_overdue`, the waits already over are returned as
    occurrences for the caller to decide instead of being scheduled."""
    waiting = waiting_pairs((o.trigger.id, o.visitor_id) for o in occurrences)
    fresh = [
        o
        for o in occurrences
        if o.entry is not None and (o.trigger.id, o.visitor_id) not in waiting
    ]
    late: list[Occurrence] = []
    if not check_overdue:
        # A late batch: the wait is already over. Decided now like an immediate
        # occurrence (the cancel event is still checked since the entry), so one that
        # cannot fire leaves no row; during quiet hours it waits as usual, to be deferred.
        local_hour = now.astimezone(store_zone()).hour
        late = [
            o
            for o in fresh
            if o.entry is not None
            and o.entry.timestamp + timedelta(seconds=o.trigger.wait_seconds) <= now
            and not in_quiet_hours(local_hour, o.trigger.quiet_start_hour, o.trigger.quiet_end_hour)
        ]
        decided_now = {id(o) for o in late}
        fresh = [o for o in fresh if id(o) not in decided_now]
    if not fresh:
        return [], late
    rows = [
        new_firing(
            o.trigger,
            visitor_id=o.visitor_id,
            occurrence_key=o.key,
            entry_at=o.entry.timestamp,
            due_at=o.entry.timestamp + timedelta(seconds=o.trigger.wait_seconds),
            result={"entry": {"event": o.entry.event_pk, "properties": o.entry.properties}},
        )
        for o in fresh
        if o.entry is not None
    ]
    pending = insert_firings(rows)
    if len(pending) < len(rows):
        # Some were written before (a redelivered task): their checks are scheduled again.
        pending += _pending_rows(
            [o for o in fresh if o.entry is not None], skip={f.pk for f in pending}
        )
    by_identity = {(o.trigger.id, o.visitor_id, o.key): o for o in fresh}
    overdue: list[Occurrence] = []
    for firing in pending:
        occurrence = by_identity[(firing.trigger_id, firing.visitor_id, firing.occurrence_key)]
        if not check_overdue and firing.due_at <= now:
            overdue.append(occurrence._replace(pending=firing))
    if check_overdue:
        # The waits already over (a late batch) are checked together, now.
        over = [f.pk for f in pending if f.due_at <= now]
        if over:
            transaction.on_commit(lambda: _schedule_checks(over, 0.0), robust=True)
    if not _eager():
        # With a worker: one shared check per bucket of due times for every ingest, not
        # a countdown task per ingest (see `_schedule_due_check`). Robust: a broker error
        # must not keep the batch's deliveries, scheduled after this, from being queued.
        # Eager tasks cannot wait (one run now would find nothing due): the due-firings
        # sweep decides those.
        latest: dict[int, datetime] = {}
        for firing in pending:
            if firing.due_at > now:
                bucket = _due_bucket_end(firing.due_at)
                latest[bucket] = max(latest.get(bucket, firing.due_at), firing.due_at)
        for due in latest.values():
            transaction.on_commit(
                lambda due=due: _schedule_due_check(due, now=clock.now()), robust=True
            )
    return pending, overdue + late


def _pending_rows(occurrences: list[Occurrence], *, skip: set[int]) -> list[Firing]:
    """The pending rows of these occurrences already stored, built from the columns a
    decision needs: no trigger reload, no JSON decode."""
    by_identity = {(o.trigger.id, o.visitor_id, o.key): o for o in occurrences}
    rows = Firing.objects.filter(
        status=Firing.Status.PENDING,
        trigger__in={o.trigger.id for o in occurrences},
        visitor_id__in={o.visitor_id for o in occurrences},
        occurrence_key__in={o.key for o in occurrences},
    ).values_list("pk", "trigger_id", "visitor_id", "occurrence_key", "entry_at", "due_at")
    found = []
    for pk, trigger_id, visitor_id, key, entry_at, due_at in rows:
        occurrence = by_identity.get((trigger_id, visitor_id, key))
        if occurrence is None or pk in skip:
            continue
        found.append(
            new_firing(
                occurrence.trigger,
                id=pk,
                visitor_id=visitor_id,
                occurrence_key=key,
                status=Firing.Status.PENDING,
                entry_at=entry_at,
                due_at=due_at,
            )
        )
    return found


# Delayed checks share one task per this many seconds of due times.
DUE_CHECK_BUCKET_SECONDS = 15


def _eager() -> bool:
    from triggers.tasks import process_due_firings_task

    return bool(process_due_firings_task.app.conf.task_always_eager)


def _schedule_due_check(due_at: datetime, *, now: datetime) -> bool:
    """Queue one due-firings check for the end of `due_at`'s bucket unless one is queued
    (a cache flag); True when queued now. A countdown task per ingest meant hundreds of
    ETA messages that a prefetch-1 worker takes in one by one (a QoS update each, one
    or two a second) while the ingest follow-up waits behind them: the queue lag rose 1 s per
    second under load. The minutely due-firings sweep still catches any a lost flag or
    message would miss."""
    from triggers.tasks import process_due_firings_task

    bucket_end = _due_bucket_end(due_at)
    countdown = max(0.0, bucket_end - now.timestamp())
    key = f"trigger-due-check:{bucket_end}"
    # False: already queued; None (the cache is down) queues one anyway.
    if cache.add(key, 1, int(countdown) + 60) is False:
        return False
    try:
        process_due_firings_task.apply_async(countdown=countdown)
    except Exception:  # noqa: BLE001 - the minutely sweep checks what this would have
        # Not queued (the broker is down): the flag must not hold back the next ingest's.
        cache.delete(key)
        logger.exception("due check of %s not queued; the minutely sweep covers it", due_at)
        return False
    return True


def _due_bucket_end(due_at: datetime) -> int:
    """The end (epoch seconds) of the bucket of due times `due_at` falls in."""
    step = DUE_CHECK_BUCKET_SECONDS
    return (int(due_at.timestamp()) // step + 1) * step


def _schedule_checks(firing_ids: list[int], countdown: float) -> None:
    from triggers.tasks import check_firings_task

    check_firings_task.apply_async(args=[firing_ids], countdown=countdown)


def check_firings(*, firing_ids: Iterable[int], now: datetime | None = None) -> list[Firing]:
    """The delayed check of pending occurrences: cancelled by the cancel event, or decided.
    One not due yet (an eager task, a clock skew) stays pending for the sweep of due
    firings; one of a disabled trigger is cancelled."""
    now = now or clock.now()
    firings = list(
        Firing.objects.filter(
            pk__in=list(firing_ids), status=Firing.Status.PENDING, due_at__lte=now
        ).order_by("pk")
    )
    # Each trigger once (with what its actions need), not a join per firing.
    triggers = Trigger.objects.select_related("popup", "email_template", "segment").in_bulk(
        {f.trigger_id for f in firings}
    )
    for firing in firings:
        firing.trigger = triggers[firing.trigger_id]
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


def process_due_firings(
    *, now: datetime | None = None, limit: int = 500, budget_seconds: float = 30.0
) -> int:
    """Check pending occurrences whose wait is over, `limit` at a time until none is left
    or `budget_seconds` are spent (within the task's time limit; the next run goes on):
    the coalesced delayed checks with a worker, and the safety net when one was lost,
    ran early (eager mode) or quiet hours deferred it."""
    now = now or clock.now()
    started = time.monotonic()
    checked = 0
    while True:
        due = list(
            Firing.objects.filter(status=Firing.Status.PENDING, due_at__lte=now)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        check_firings(firing_ids=due, now=now)
        checked += len(due)
        if len(due) < limit or time.monotonic() - started > budget_seconds:
            return checked


def run_sweeps(*, now: datetime | None = None) -> int:
    """Time-based triggers (lapsed customers): the conditions, compiled to SQL, pick the
    candidates; they are then decided like event occurrences. A visitor's occurrence is
    their last activity, so a quiet visitor is not asked again every run. Each trigger
    runs in its own savepoint: one that fails (conditions saved before they were checked,
    a database error) is logged and skipped, and the others still run."""
    now = now or clock.now()
    fired = 0
    triggers = Trigger.objects.filter(enabled=True, kind=Trigger.Kind.SWEEP).select_related(
        "popup", "email_template", "segment"
    )
    for trigger in triggers:
        try:
            with transaction.atomic():
                fired += _sweep(trigger, now)
        except Exception:  # noqa: BLE001 - one broken trigger must not stop the others
            logger.exception("sweep of trigger %s failed; the others still run", trigger.key)
    return fired


def _sweep(trigger: Trigger, now: datetime) -> int:
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
    return sum(1 for firing in decided if firing.status == Firing.Status.FIRED)


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
