"""Reads of segments, and the real-time evaluation a request makes.

Request-time budget: one cache round trip (`get_many` of the catalog version, the
profile and the visitor's recent events) and, on a miss of the recent events, one small
query. Compiled rules live in a per-process catalog rebuilt when the version changes.
"""

import logging
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, JSONField, Q, QuerySet, Value
from django.db.models.functions import Concat

from core import cache_reads, clock
from core.config_version import CONFIG_VERSION_KEY, CompiledCatalog, ensure_version
from segments.conditions import (
    CompiledRule,
    EventWindow,
    Facts,
    InvalidRule,
    PreparedEventWindows,
    compile_rule,
    dependency_order,
    evaluate_segments,
    event_windows,
    window_rows,
)
from segments.field_registry import current_registry, registry_for
from segments.models import Segment, SegmentMembership, SegmentSizeSnapshot
from segments.sql import SqlRuleCompiler
from segments.visitor_context import VisitorContext
from tracking.models import Event
from tracking.profile_state import ProfileDocument
from tracking.selectors import (
    consent_of,
    profile_cache_key,
    profile_entry_from,
    profile_settings,
    resolve_visitor_id,
)

RECENT_PREFIX = "segments:recent:"
RECENT_TTL_SECONDS = 60 * 60
logger = logging.getLogger(__name__)


def effective_rule(segment: Segment) -> Any:
    """The rule with the parent folded in: a child refines its parent."""
    if segment.parent_id:
        parent_key = segment.parent.key
        return (
            {"all": [{"segment": parent_key}, segment.rule]}
            if segment.rule
            else {"segment": parent_key}
        )
    return segment.rule


def sql_compiler(now: datetime, *, visitor_ids: Sequence[str] | None = None) -> SqlRuleCompiler:
    """Rules as SQL conditions at `now`; with `visitor_ids`, conditions only ever asked
    about those visitors (their event windows read no one else's events)."""
    segments = list(Segment.objects.filter(is_active=True).select_related("parent"))
    return SqlRuleCompiler(
        now=now,
        settings=profile_settings(),
        rule_segments={s.key: effective_rule(s) for s in segments if s.kind == Segment.Kind.RULE},
        materialized_segments={s.key: s.pk for s in segments if s.kind != Segment.Kind.RULE},
        registry=current_registry(),
        visitor_ids=visitor_ids,
    )


def recent_cache_key(visitor_id: str) -> str:
    return RECENT_PREFIX + visitor_id


@dataclass
class SegmentCatalog:
    """Active segments compiled for request-time evaluation."""

    version: Any
    rules: dict[str, CompiledRule]
    # event type -> largest window in seconds, to know which recent events to keep
    windows: dict[str, int]
    materialized: frozenset[str]
    targetable: frozenset[str]
    placeholder_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Every distinct window of the rules, and its position in a recent entry's "windows"
    event_windows: tuple[EventWindow, ...] = ()
    window_index: dict[EventWindow, int] = field(default_factory=dict)


def _compiled_rules(rule_sources: dict[str, Any], version: Any) -> dict[str, CompiledRule]:
    """Each rule compiled against the version's field registry, dependencies first. A
    stored rule the registry no longer accepts (a custom attribute was removed) is left
    out and logged, so one stale segment cannot take every decision down."""
    registry = registry_for(version)
    rules = {}
    for key in dependency_order(rule_sources):
        try:
            rules[key] = compile_rule(rule_sources[key], registry=registry)
        except InvalidRule as error:
            logger.error("segment %s is left out: its rule is no longer valid: %s", key, error)
    return rules


def load_catalog(version: Any) -> SegmentCatalog:
    segments = list(Segment.objects.filter(is_active=True).select_related("parent"))
    rule_sources = {s.key: effective_rule(s) for s in segments if s.kind == Segment.Kind.RULE}
    rules = _compiled_rules(rule_sources, version)
    windows: dict[str, int] = {}
    distinct: dict[EventWindow, None] = {}
    for rule in rule_sources.values():
        for window in event_windows(rule):
            distinct.setdefault(window, None)
            windows[window.event_type] = max(
                windows.get(window.event_type, 0), window.within_seconds
            )
    minimum = settings.PZ_MIN_SEGMENT_SIZE
    return SegmentCatalog(
        version=version,
        rules=rules,
        windows=windows,
        materialized=frozenset(s.key for s in segments if s.kind != Segment.Kind.RULE),
        targetable=frozenset(
            s.key for s in segments if s.real_time_only or (s.size or 0) >= minimum
        ),
        placeholder_values={s.key: dict(s.placeholder_values) for s in segments},
        event_windows=tuple(distinct),
        window_index={window: position for position, window in enumerate(distinct)},
    )


_catalog = CompiledCatalog("segments", load_catalog)


def current_catalog(version: Any) -> SegmentCatalog:
    """Active segments compiled once per config version."""
    return _catalog.get(version)


MEMBERSHIP_PREFIX = "segment:"


def _window_filter(catalog: SegmentCatalog, now: datetime) -> Q:
    window_filter = Q()
    for event_type, seconds in catalog.windows.items():
        window_filter |= Q(type=event_type, timestamp__gte=now - timedelta(seconds=seconds))
    return window_filter


def recent_activity_of(
    visitor_ids: Iterable[str], catalog: SegmentCatalog, now: datetime
) -> dict[str, dict[str, Any]]:
    """What `_recent_activity` reads, for many visitors in two queries (the write-time
    build after an ingest: decide right after it finds the visitor warm)."""
    ids = sorted(set(visitor_ids))
    recent: dict[str, dict[str, Any]] = {
        vid: {"version": catalog.version, "events": [], "memberships": []} for vid in ids
    }
    if not ids:
        return recent
    limit = settings.PZ_RECENT_EVENTS_LIMIT
    if catalog.windows:
        rows = (
            Event.objects.filter(_window_filter(catalog, now), visitor_id__in=ids)
            .order_by("visitor_id", "-timestamp")
            .values_list("visitor_id", "type", "timestamp", "properties")
        )
        for visitor_id, row_type, timestamp, properties in rows.iterator(chunk_size=2000):
            events = recent[visitor_id]["events"]
            if len(events) < limit:
                events.append(
                    {"type": row_type, "timestamp": timestamp, "properties": properties or {}}
                )
    if catalog.materialized:
        memberships = SegmentMembership.objects.filter(
            visitor_id__in=ids, left_at__isnull=True, segment__key__in=catalog.materialized
        ).values_list("visitor_id", "segment__key")
        for visitor_id, key in memberships:
            recent[visitor_id]["memberships"].append(key)
    for entry in recent.values():
        _prepare(entry, catalog)
    return recent


def _prepare(entry: dict[str, Any], catalog: SegmentCatalog) -> None:
    """Store what each of the catalog's windows keeps of the recent events (the `where`
    tests and the values to aggregate), so a request only cuts them by time; the events
    themselves are kept pickled, read only for a window the rules do not have (a
    variant's context rule): unpickling them on every request cost more than the rows."""
    entry["windows"] = [window_rows(window, entry["events"]) for window in catalog.event_windows]
    entry["events"] = pickle.dumps(entry["events"], pickle.HIGHEST_PROTOCOL)


def recent_events(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a recent-activity cache entry (newest first)."""
    return pickle.loads(entry["events"])  # noqa: S301 - `_prepare` wrote it


def _recent_activity(visitor_id: str, catalog: SegmentCatalog, now: datetime) -> dict[str, Any]:
    """The events and materialized (cluster/static) memberships real-time rules need, in at
    most one query: memberships ride along the events as rows typed "segment:<key>"."""
    queries = []
    if catalog.windows:
        events = (
            Event.objects.filter(_window_filter(catalog, now), visitor_id=visitor_id)
            .order_by("-timestamp")
            .values_list("type", "timestamp", "properties")
        )
        if connection.features.supports_slicing_ordering_in_compound or not catalog.materialized:
            events = events[: settings.PZ_RECENT_EVENTS_LIMIT]
        else:
            events = events.order_by()
        queries.append(events)
    if catalog.materialized:
        queries.append(
            SegmentMembership.objects.filter(
                visitor_id=visitor_id, left_at__isnull=True, segment__key__in=catalog.materialized
            )
            .order_by()
            .values_list(
                Concat(Value(MEMBERSHIP_PREFIX), "segment__key", output_field=CharField()),
                "entered_at",
                Value(None, output_field=JSONField()),
            )
        )
    if not queries:
        rows: list[tuple[str, datetime, Any]] = []
    elif len(queries) == 1:
        rows = list(queries[0])
    else:
        rows = list(queries[0].union(queries[1], all=True))
    recent: dict[str, Any] = {"version": catalog.version, "events": [], "memberships": []}
    for row_type, timestamp, properties in rows:
        if row_type.startswith(MEMBERSHIP_PREFIX):
            recent["memberships"].append(row_type[len(MEMBERSHIP_PREFIX) :])
        else:
            recent["events"].append(
                {"type": row_type, "timestamp": timestamp, "properties": properties or {}}
            )
    _prepare(recent, catalog)
    return recent


def visitor_context(
    visitor_id: str | None, context: dict[str, Any], *, now: datetime | None = None
) -> VisitorContext:
    """The visitor's context for this request, with every active segment evaluated
    (real time)."""
    now = now or clock.now()
    canonical = visitor_id
    keys = [CONFIG_VERSION_KEY]
    if visitor_id:
        keys += [profile_cache_key(visitor_id), recent_cache_key(visitor_id)]
    cached = cache_reads.get_many(keys, visitor_id=visitor_id)
    catalog = current_catalog(ensure_version(cached.get(CONFIG_VERSION_KEY)))

    entry = None
    if visitor_id:
        entry = profile_entry_from(visitor_id, cached.get(profile_cache_key(visitor_id)))
        if entry is not None:
            canonical = entry.visitor_id
    consent = consent_of(entry)
    personalized = entry is not None and consent.personalization
    if entry is None or not personalized:
        facts = Facts(context=context)
    else:
        recent = cached.get(recent_cache_key(visitor_id)) if canonical == visitor_id else None
        # Entries of another version, or written before windows were stored, are rebuilt.
        if recent is None or recent.get("version") != catalog.version or "windows" not in recent:
            recent = _recent_activity(canonical, catalog, now)
            cache.set(recent_cache_key(canonical), recent, RECENT_TTL_SECONDS)
        state = entry.state
        facts = Facts(
            profile=ProfileDocument(state, now, profile_settings(), exact=True),
            attributes=state.attributes,
            context=context,
            segments=frozenset(recent["memberships"]),
            events=PreparedEventWindows(
                catalog.window_index, recent["windows"], lambda: recent_events(recent), now=now
            ),
        )
    matched = evaluate_segments(catalog.rules, facts)
    if personalized:
        matched += sorted(facts.segments)  # type: ignore[arg-type]
    return VisitorContext(
        visitor_id=visitor_id,
        facts=facts,
        canonical_id=canonical,
        bucketing_id=(entry.bucketing_id if entry else None) or canonical,
        profile=entry if personalized else None,
        consent=consent,
        segments=tuple(matched),
        targetable=tuple(key for key in matched if key in catalog.targetable),
        placeholder_values=catalog.placeholder_values,
        config_version=catalog.version,
    )


def visitor_memberships(visitor_id: str) -> QuerySet[SegmentMembership]:
    """Current materialized memberships of a visitor, with `since` as entered_at."""
    canonical = resolve_visitor_id(visitor_id)
    return (
        SegmentMembership.objects.filter(visitor_id=canonical, left_at__isnull=True)
        .select_related("segment")
        .order_by("segment__key")
    )


def segment_members(segment: Segment) -> QuerySet[SegmentMembership]:
    return SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).order_by(
        "entered_at", "visitor_id"
    )


def segment_trend(segment: Segment, limit: int = 30) -> list[dict[str, Any]]:
    rows = SegmentSizeSnapshot.objects.filter(segment=segment).order_by("-computed_at")[:limit]
    return [
        {
            "at": row.computed_at.isoformat(),
            "size": row.size,
            "entered": row.entered,
            "left": row.left,
        }
        for row in reversed(rows)
    ]


def too_small(segment: Segment) -> bool:
    """Materialized segments below PZ_MIN_SEGMENT_SIZE are flagged and never targeted."""
    if segment.real_time_only or segment.size is None:
        return False
    return segment.size < settings.PZ_MIN_SEGMENT_SIZE
