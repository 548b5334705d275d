"""Reads of triggers: the entry types worth a task, compiled conditions, caps, the
pending pop-up of a visitor, and the log with per-trigger counts and conversions."""

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from content.models import Component
from core import clock
from core.config_version import CONFIG_VERSION_KEY, CompiledCatalog, ensure_version
from core.sql_rows import rows_source
from segments.conditions import (
    CompiledRule,
    EventWindow,
    compile_rule,
    event_windows,
    referenced_segments,
)
from segments.field_registry import current_registry
from tracking import analytics
from tracking.models import Event
from triggers import matching
from triggers.models import Coupon, EmailSend, Firing, PendingMessage, Trigger

ONSITE_CACHE_PREFIX = "triggers:onsite:"
# Control firings count against caps like contacted ones, so both groups see the same rules.
COUNTED_STATUSES = ("fired", "failed", "dead", "control")
COUPONS_OUTSTANDING_KEY = "triggers:coupons-outstanding"


def _load_event_triggers(version: Any) -> tuple[Trigger, ...]:
    return tuple(
        Trigger.objects.filter(enabled=True, kind=Trigger.Kind.EVENT)
        .select_related("popup", "email_template", "segment")
        .order_by("pk")
    )


# The enabled event triggers with what their actions need, per process: loading them
# (a join, the pop-up's blocks) cost about as much as a batch's matching. Rebuilt on each
# configuration change; a trigger, pop-up or e-mail template saved is one.
_event_triggers = CompiledCatalog("event triggers", _load_event_triggers)


def event_triggers() -> tuple[Trigger, ...]:
    """The enabled event triggers (shared objects: read, never change them)."""
    return _event_triggers.get(ensure_version(cache.get(CONFIG_VERSION_KEY)))


def enabled_entry_types() -> frozenset[str]:
    """Entry event types of the enabled event triggers."""
    return frozenset(t.entry_event for t in event_triggers() if t.entry_event)


class RuleTraits(NamedTuple):
    """What a decision needs to know of a trigger's rule besides evaluating it."""

    windows: tuple[EventWindow, ...]  # the event windows it reads
    uses_entry: bool  # reads `$entry.` values
    reads_segments: bool
    key: str  # the rule as canonical JSON: triggers with equal rules share verdicts


def rule_traits(trigger: Trigger) -> RuleTraits:
    """The trigger's `RuleTraits`, worked out once per loaded trigger (kept on the object,
    as its compiled rule)."""
    rule = trigger.conditions
    kept = trigger.__dict__.get("_rule_traits")
    if kept is None or kept[0] is not rule:
        traits = RuleTraits(
            windows=tuple(event_windows(rule)) if rule else (),
            uses_entry=bool(rule) and matching.uses_entry(rule),
            reads_segments=bool(rule) and bool(referenced_segments(rule)),
            key=json.dumps(rule, sort_keys=True, default=str) if rule else "",
        )
        kept = trigger.__dict__["_rule_traits"] = (rule, traits)
    return kept[1]


def compiled_conditions(
    trigger: Trigger, rule: Any, entry_properties: Mapping[str, Any] | None = None
) -> CompiledRule:
    """`rule` (the trigger's conditions, or a part of them) compiled, kept on the trigger
    object, which the per-process catalog keeps until the configuration changes. With
    `entry_properties`, its `$entry.` strings take the entry event's values: compiled once
    per distinct set of those values, not per occurrence."""
    # Each entry keeps its rule, so a rule's id is not reused while its entry is kept.
    kept: dict[tuple[Any, ...], Any] = trigger.__dict__.setdefault("_compiled_rules", {})
    values: tuple[Any, ...] = ()
    if entry_properties is not None:
        references = kept.get((id(rule), "references"))
        if references is None:
            references = kept[(id(rule), "references")] = (rule, matching.entry_references(rule))
        # The type too: 1, 1.0 and True are equal keys but may not compare alike.
        values = tuple(
            (type(value), value)
            for value in (matching.entry_value(ref, entry_properties) for ref in references[1])
        )
    key = (id(rule), values)
    compiled = kept.get(key)
    if compiled is None:
        if len(kept) > 1_000:
            kept.clear()
        concrete = (
            rule if entry_properties is None else matching.substitute_entry(rule, entry_properties)
        )
        compiled = kept[key] = (rule, compile_rule(concrete, registry=current_registry()))
    return compiled[1]


def fired_count(trigger: Trigger, visitor_id: str, now: datetime) -> int:
    """How often this trigger fired for the visitor within its frequency period."""
    if not trigger.frequency_cap_count or not trigger.frequency_cap_seconds:
        return 0
    since = now - timedelta(seconds=trigger.frequency_cap_seconds)
    return firing_history([(trigger.pk, visitor_id, since, None)])[0][(trigger.pk, visitor_id)]


def firing_history(
    rows: Iterable[tuple[int, str, datetime | None, str | None]],
) -> tuple[dict[tuple[int, str], int], set[tuple[int, str, str]]]:
    """For (trigger id, visitor, cap start, occurrence key) rows: how often each (trigger,
    visitor) pair fired after its cap start (None: not counted), and which of the
    occurrence keys already have a row. One query, one probe of firing_once's (trigger,
    visitor) prefix per row; a pair has few rows, so they are filtered as read."""
    wanted = list(set(rows))
    counts = {(t, v): 0 for t, v, since, _ in wanted if since is not None}
    taken: set[tuple[int, str, str]] = set()
    if not wanted:
        return counts, taken
    table = connection.ops.quote_name(Firing._meta.db_table)
    columns = [
        ("trigger_id", "bigint"),
        ("visitor_id", "text"),
        ("since", "timestamptz"),
        ("occurrence_key", "text"),
    ]
    source, params = rows_source(wanted, columns, "p")
    counted = ", ".join(["%s"] * len(COUNTED_STATUSES))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.trigger_id, p.visitor_id, p.occurrence_key, "  # noqa: S608 - fixed names
            f"SUM(CASE WHEN f.decided_at > p.since AND f.status IN ({counted}) THEN 1 ELSE 0 END), "
            "MAX(CASE WHEN f.occurrence_key = p.occurrence_key THEN 1 ELSE 0 END) "
            f"FROM {source} JOIN {table} f ON f.trigger_id = p.trigger_id "
            "AND f.visitor_id = p.visitor_id "
            "GROUP BY p.trigger_id, p.visitor_id, p.occurrence_key",
            [*COUNTED_STATUSES, *params],
        )
        for trigger_id, visitor_id, key, fired, stored in cursor.fetchall():
            if (trigger_id, visitor_id) in counts:
                counts[(trigger_id, visitor_id)] = fired
            if stored and key is not None:
                taken.add((trigger_id, visitor_id, key))
    return counts, taken


def waiting_pairs(pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these (trigger id, visitor) pairs have an occurrence waiting: one probe
    per pair of the pending rows' own index (firing_one_pending)."""
    wanted = sorted(set(pairs))
    if not wanted:
        return set()
    table = connection.ops.quote_name(Firing._meta.db_table)
    source, params = rows_source(wanted, [("trigger_id", "bigint"), ("visitor_id", "text")], "p")
    with connection.cursor() as cursor:
        cursor.execute(
            # CROSS JOIN: SQLite keeps the pairs as the outer loop (it would otherwise
            # walk every pending row by the pending rows' due index).
            f"SELECT f.trigger_id, f.visitor_id FROM {source} CROSS JOIN {table} f "  # noqa: S608 - fixed names
            "WHERE f.trigger_id = p.trigger_id AND f.visitor_id = p.visitor_id "
            # A literal, as in the partial index's condition, so SQLite can use it.
            f"AND f.status = '{Firing.Status.PENDING.value}'",
            params,
        )
        return set(cursor.fetchall())


def newest_events(
    pairs: Iterable[tuple[str, str]], *, since: datetime, until: datetime
) -> list[tuple[int, str, str, datetime, dict[str, Any]]]:
    """The newest event (id, visitor, type, timestamp, properties) of each (visitor,
    type) pair between `since` and `until`; among events of one instant the last stored
    wins. One backward probe of the (visitor, type, time) index per pair, however many
    events the visitor has (ranking them all read every one), and the row read with it."""
    wanted = sorted(set(pairs))
    if not wanted:
        return []
    table = connection.ops.quote_name(Event._meta.db_table)
    source, params = rows_source(wanted, [("visitor_id", "text"), ("type", "text")], "p")
    # The bounds as constants: PostgreSQL then reads only the partitions they cover.
    bounds = [connection.ops.adapt_datetimefield_value(at) for at in (since, until)]

    def columns(alias: str) -> str:
        return ", ".join(
            f"{alias}.{name}" for name in ("id", "visitor_id", "type", "timestamp", "properties")
        )

    def newest(selected: str) -> str:
        return (
            f"SELECT {selected} FROM {table} n WHERE n.visitor_id = p.visitor_id "  # noqa: S608 - fixed names
            "AND n.type = p.type AND n.timestamp >= %s AND n.timestamp <= %s "
            "ORDER BY n.timestamp DESC, n.id DESC LIMIT 1"
        )

    if connection.vendor == "postgresql":
        lateral = newest(columns("n"))
        sql = f"SELECT {columns('e')} FROM {source} CROSS JOIN LATERAL ({lateral}) e"  # noqa: S608
    else:  # SQLite has no LATERAL: the probe gives the id, the row is read by its rowid
        probe = newest("n.id")
        sql = f"SELECT {columns('e')} FROM {source} JOIN {table} e ON e.id = ({probe})"  # noqa: S608
    # Rows as the ORM would convert them: SQLite's timestamps are text; JSON comes as text.
    to_datetime = getattr(connection.ops, "convert_datetimefield_value", None)
    found = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *bounds])
        for pk, visitor_id, event_type, at, properties in cursor.fetchall():
            if to_datetime is not None:
                at = to_datetime(at, None, connection)
            found.append(
                (pk, visitor_id, event_type, at, json.loads(properties) if properties else {})
            )
    return found


def pending_onsite_message(visitor_id: str | None) -> int | None:
    """The pop-up component id a trigger left for this visitor, from the cache (one
    get, so the decision path stays within its budget); None when there is none."""
    if not visitor_id:
        return None
    return cache.get(ONSITE_CACHE_PREFIX + visitor_id)


def pending_onsite_component(visitor_id: str) -> Any:
    """The live pop-up component a trigger left for this visitor, or None (a cache get;
    a query only when one is pending)."""
    component_id = pending_onsite_message(visitor_id)
    if component_id is None:
        return None
    return Component.objects.filter(pk=component_id, live=True).first()


def pending_messages(now: datetime | None = None) -> QuerySet[PendingMessage]:
    now = now or clock.now()
    return PendingMessage.objects.filter(expires_at__gt=now).select_related("component")


def firing_log(trigger: Trigger | None = None) -> QuerySet[Firing]:
    firings = Firing.objects.select_related("trigger").order_by("-created_at", "-pk")
    return firings.filter(trigger=trigger) if trigger else firings


def converted(firings: QuerySet[Firing]) -> QuerySet[Firing]:
    """Fired occurrences the visitor converted after (`tracking.analytics`)."""
    return firings.filter(status=Firing.Status.FIRED).filter(
        analytics.converted(
            visitor_id=OuterRef("visitor_id"),
            since=OuterRef("decided_at"),
            window=analytics.conversion_window(),
        )
    )


def _count_per_trigger(firings: QuerySet[Firing]) -> Coalesce:
    """The number of `firings` (correlated on the trigger) as a scalar subquery."""
    counted = firings.order_by().values("trigger").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1]), 0)


def with_firing_counts(triggers: QuerySet[Trigger]) -> QuerySet[Trigger]:
    """Triggers annotated with fired, waiting and converted counts (one query for a list).

    Each count is its own subquery per trigger: beside a join on the firings, SQLite ran
    the conversion subquery once per firing row (80 s for the demo's 1,559 firings)."""
    of_trigger = Firing.objects.filter(trigger=OuterRef("pk"))
    return triggers.annotate(
        fired_count=_count_per_trigger(of_trigger.filter(status=Firing.Status.FIRED)),
        waiting_count=_count_per_trigger(of_trigger.filter(status=Firing.Status.PENDING)),
        converted_count=_count_per_trigger(converted(of_trigger)),
    )


def trigger_stats(trigger_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Per trigger: firings by status, and how many fired ones converted (a purchase by
    the visitor within PZ_CONVERSION_DAYS after the firing)."""
    ids = list(trigger_ids)
    stats: dict[int, dict[str, Any]] = {
        pk: dict.fromkeys(Firing.Status.values, 0) | {"converted": 0} for pk in ids
    }
    rows = (
        Firing.objects.filter(trigger_id__in=ids)
        .values("trigger_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        stats[row["trigger_id"]][row["status"]] = row["n"]
    conversions = (
        converted(Firing.objects.filter(trigger_id__in=ids))
        .values("trigger_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in conversions:
        stats[row["trigger_id"]]["converted"] = row["n"]
    emails = (
        EmailSend.objects.filter(firing__trigger_id__in=ids)
        .values("firing__trigger_id")
        .annotate(
            sent=Count("pk"),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            bounced=Count("pk", filter=Q(status__in=("bounced", "complained"))),
        )
        .order_by()
    )
    for row in stats.values():
        row |= {"emails_sent": 0, "emails_opened": 0, "emails_clicked": 0, "emails_bounced": 0}
    for row in emails:
        stats[row["firing__trigger_id"]] |= {
            "emails_sent": row["sent"],
            "emails_opened": row["opened"],
            "emails_clicked": row["clicked"],
            "emails_bounced": row["bounced"],
        }
    for row in stats.values():
        row["conversion_rate"] = row["converted"] / row["fired"] if row["fired"] else None
    return stats


def coupons_outstanding() -> bool:
    """Whether any issued coupon is unredeemed (cached a minute): purchases are matched
    against codes only then."""
    outstanding = cache.get(COUPONS_OUTSTANDING_KEY)
    if outstanding is None:
        outstanding = (
            Coupon.objects.exclude(visitor_id="").filter(redeemed_at__isnull=True).exists()
        )
        cache.set(COUPONS_OUTSTANDING_KEY, outstanding, 60)
    return outstanding


def visitor_coupons(visitor_id: str | None, now: datetime | None = None) -> list[Coupon]:
    """The visitor's unexpired, unredeemed codes, newest first (shown on the site)."""
    if not visitor_id:
        return []
    now = now or clock.now()
    return list(
        Coupon.objects.filter(visitor_id=visitor_id, redeemed_at__isnull=True, expires_at__gt=now)
        .select_related("offer")
        .order_by("-issued_at")
    )
