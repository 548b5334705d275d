"""Writes of segments: create/update with validation, materialization, refresh, static lists."""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

from core import clock
from core.audit import record_change, snapshot
from core.config_version import CONFIG_VERSION_KEY, bump_config_version, ensure_version
from core.errors import Conflict, Invalid
from segments import refresh_queue
from segments.conditions import (
    InvalidRule,
    RuleError,
    SegmentCycle,
    find_cycle,
    referenced_segments,
    uses_context,
    validate_rule,
)
from segments.field_registry import current_registry
from segments.memberships import (
    MembershipChange,
    materialize_segments,
    refresh_memberships_of,
    replace_memberships,
)
from segments.models import Segment, SegmentMembership
from segments.selectors import (
    RECENT_TTL_SECONDS,
    current_catalog,
    effective_rule,
    recent_activity_of,
    recent_cache_key,
    sql_compiler,
)
from segments.sql import NotMaterializable
from tracking.models import VisitorProfile

logger = logging.getLogger(__name__)
# The fields the audit log shows before and after a change.
AUDITED_FIELDS = (
    "name",
    "kind",
    "rule",
    "parent",
    "description",
    "recompute_every_minutes",
    "placeholder_values",
    "is_active",
)


class SegmentError(Invalid):
    """A segment that cannot be saved (400); `fields` maps input fields to reasons."""


@dataclass(frozen=True)
class RecomputeResult:
    segment_key: str
    size: int | None
    entered: int
    left: int
    duration_ms: int
    real_time_only: bool = False
    segment_id: int | None = None


def _rule_error_fields(errors: list[RuleError]) -> dict[str, Any]:
    first = errors[0]
    where = first.path or "(root)"
    return {
        "rule": f"{where}: {first.reason}",
        "rule_errors": [{"path": e.path, "reason": e.reason} for e in errors],
    }


def check_segment_rule(*, key: str, rule: Any, parent_key: str | None = None) -> list[RuleError]:
    """Validate a rule for segment `key`: the language and the field registry, references
    to unknown segments, and cycles through references or the parent chain."""
    registry = current_registry()
    errors = validate_rule(rule, registry=registry)
    if errors:
        return errors
    known = dict(Segment.objects.exclude(key=key).values_list("key", "rule"))
    parents = dict(
        Segment.objects.exclude(key=key)
        .filter(parent__isnull=False)
        .values_list("key", "parent__key")
    )
    for reference in sorted(referenced_segments(rule)):
        if reference not in known and reference != key:
            return [RuleError(_path_of_segment(rule, reference), f"unknown segment '{reference}'")]
        stale = (
            validate_rule(known.get(reference), registry=registry) if known.get(reference) else []
        )
        if stale:
            reason = f"segment '{reference}' has a rule that is no longer valid ({stale[0]})"
            return [RuleError(_path_of_segment(rule, reference), reason)]
    graph = {
        other: _with_parent(other_rule, parents.get(other)) for other, other_rule in known.items()
    }
    graph[key] = _with_parent(rule, parent_key)
    cycle = find_cycle(graph)
    if cycle:
        return [RuleError("", "segment references form a cycle: " + " -> ".join(cycle))]
    return []


def _with_parent(rule: Any, parent_key: str | None) -> Any:
    if not parent_key:
        return rule or {"all": []}
    return {"all": [{"segment": parent_key}, rule]} if rule else {"segment": parent_key}


def _path_of_segment(rule: Any, key: str, path: str = "") -> str:
    if isinstance(rule, dict):
        if rule.get("segment") == key:
            return f"{path}.segment" if path else "segment"
        for group in ("all", "any"):
            for index, child in enumerate(rule.get(group) or []):
                found = _path_of_segment(child, key, f"{path}.{group}[{index}]".lstrip("."))
                if found:
                    return found
        if "not" in rule:
            return _path_of_segment(rule["not"], key, f"{path}.not".lstrip("."))
    return ""


def _real_time_only(segment: Segment) -> bool:
    if segment.kind != Segment.Kind.RULE:
        return False
    all_rules = dict(Segment.objects.filter(kind=Segment.Kind.RULE).values_list("key", "rule"))
    rule = effective_rule(segment)
    if uses_context(rule, rules=all_rules):
        return True
    try:
        sql_compiler(clock.now()).compile(rule)
    except NotMaterializable:
        return True
    except InvalidRule:
        return False  # a stale referenced rule; recomputation reports and skips it
    return False


@transaction.atomic
def segment_save(
    *,
    key: str,
    name: str,
    kind: str = Segment.Kind.RULE,
    rule: Any = None,
    parent_key: str | None = None,
    description: str = "",
    recompute_every_minutes: int = 60,
    placeholder_values: dict[str, Any] | None = None,
    is_active: bool = True,
    segment: Segment | None = None,
    user: Any = None,
    new: bool = False,
) -> Segment:
    """Create or update a segment after validating its rule; the one write path used by the
    API, the admin and the demo loader. The change is audited as made by `user`. With
    `new`, an existing key is a `Conflict` (409) rather than an update."""
    if new and Segment.objects.filter(key=key).exists():
        raise Conflict("A segment with this key exists.", {"key": "already exists"})
    if kind not in Segment.Kind.values:
        raise SegmentError(
            "Unknown segment kind.", {"kind": f"must be one of {Segment.Kind.values}"}
        )
    if kind == Segment.Kind.RULE:
        errors = check_segment_rule(key=key, rule=rule, parent_key=parent_key)
        if errors:
            raise SegmentError("The rule is not valid.", _rule_error_fields(errors))
    elif rule is not None:
        raise SegmentError(
            "Only rule segments have a rule.", {"rule": "must be empty for this kind"}
        )
    parent = None
    if parent_key:
        parent = Segment.objects.filter(key=parent_key).first()
        if parent is None:
            raise SegmentError("Unknown parent segment.", {"parent": f"no segment '{parent_key}'"})
    if segment is None:
        segment = Segment.objects.filter(key=key).first() or Segment(key=key)
    created = segment.pk is None
    before = {} if created else snapshot(Segment.objects.get(pk=segment.pk), AUDITED_FIELDS)
    segment.name = name
    segment.kind = kind
    segment.rule = rule
    segment.parent = parent
    segment.description = description
    segment.recompute_every_minutes = recompute_every_minutes
    segment.placeholder_values = placeholder_values or {}
    segment.is_active = is_active
    segment.save()
    segment.real_time_only = _real_time_only(segment)
    if segment.real_time_only:
        segment.size = None
        SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).update(
            left_at=clock.now()
        )
    segment.save(update_fields=["real_time_only", "size"])
    record_change(
        instance=segment,
        action="wagtail.create" if created else "wagtail.edit",
        user=user,
        before=before,
        after=snapshot(segment, AUDITED_FIELDS),
    )
    transaction.on_commit(bump_config_version)
    if kind == Segment.Kind.RULE and not segment.real_time_only and is_active:
        from segments.tasks import recompute_segment_task

        transaction.on_commit(lambda: recompute_segment_task.delay(segment.pk))
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, user: Any = None) -> None:
    """Delete a segment no other segment depends on; audited as made by `user`."""
    dependants = [
        other.key
        for other in Segment.objects.exclude(pk=segment.pk)
        if segment.key in referenced_segments(other.rule or {}) or other.parent_id == segment.pk
    ]
    if dependants:
        raise Conflict(
            "Other segments depend on this one.", {"segment": f"used by {', '.join(dependants)}"}
        )
    record_change(
        instance=segment,
        action="wagtail.delete",
        user=user,
        before=snapshot(segment, AUDITED_FIELDS),
        deleted=True,
    )
    segment.delete()
    transaction.on_commit(bump_config_version)


def recompute_segment(*, segment_id: int, now: datetime | None = None) -> RecomputeResult:
    """Materialize one rule segment's members for every visitor (on demand, after a save)."""
    return recompute_segments(segment_ids=[segment_id], now=now)[0]


def recompute_segments(
    *, segment_ids: Iterable[int], now: datetime | None = None
) -> list[RecomputeResult]:
    """Materialize rule segments in one pass: one scan of the profiles finds every
    segment's members, one diff updates their membership periods. Results follow
    `segment_ids`; a segment that is not a materializable active rule is left alone."""
    now = now or clock.now()
    started = time.perf_counter()
    ids = list(dict.fromkeys(segment_ids))
    with transaction.atomic():
        # Row locks serialize concurrent recomputes of a segment (beat and on demand).
        segments = {
            segment.pk: segment
            for segment in Segment.objects.select_related("parent")
            .filter(pk__in=ids)
            .order_by("pk")
            .select_for_update(of=("self",))
        }
        missing = [pk for pk in ids if pk not in segments]
        if missing:
            raise Segment.DoesNotExist(f"no segment with id {missing[0]}")
        compiler = sql_compiler(now)
        conditions = {}
        for segment in segments.values():
            if _materializable(segment):
                condition = _stored_condition(compiler, segment)
                if condition is not None:
                    conditions[segment] = condition
        counts = materialize_segments(conditions=conditions, now=now) if conditions else {}
        # Segments computed together share the pass's time.
        duration_ms = int((time.perf_counter() - started) * 1000)
        if counts:
            Segment.objects.filter(pk__in=counts).update(last_compute_ms=duration_ms)
    results = []
    for pk in ids:
        segment = segments[pk]
        change = counts.get(pk)
        if change is None:
            results.append(
                RecomputeResult(segment.key, segment.size, 0, 0, 0, segment.real_time_only, pk)
            )
        else:
            results.append(
                RecomputeResult(
                    segment.key, change.size, change.entered, change.left, duration_ms, False, pk
                )
            )
    return results


def _stored_condition(compiler: Any, segment: Segment) -> Any:
    """The SQL condition of a stored rule; None (logged, members kept) when the field
    registry no longer accepts it, so other segments of the pass are still computed."""
    try:
        return compiler.compile(effective_rule(segment))
    except InvalidRule as error:
        logger.error(
            "segment %s is not recomputed: its rule is no longer valid: %s", segment.key, error
        )
        return None


def _materializable(segment: Segment) -> bool:
    return segment.kind == Segment.Kind.RULE and not segment.real_time_only and segment.is_active


def due_segment_ids(*, now: datetime | None = None) -> list[int]:
    """Ids of active rule segments whose own schedule says they are due."""
    now = now or clock.now()
    due = []
    for segment in Segment.objects.filter(
        is_active=True, kind=Segment.Kind.RULE, real_time_only=False
    ).order_by("pk"):
        last = segment.last_computed_at
        if last is None or (now - last).total_seconds() >= segment.recompute_every_minutes * 60:
            due.append(segment.pk)
    return due


def recompute_due_segments(*, now: datetime | None = None) -> list[RecomputeResult]:
    """Recompute every due segment in one pass (the periodic schedule)."""
    now = now or clock.now()
    due = due_segment_ids(now=now)
    return recompute_segments(segment_ids=due, now=now) if due else []


def refresh_visitor_memberships(
    *, visitor_ids: Iterable[str], now: datetime | None = None
) -> dict[str, tuple[list[str], list[str]]]:
    """Re-evaluate every materialized rule segment for just these visitors (after they
    acted); returns {segment key: (entered, left)} for the segments that changed."""
    now = now or clock.now()
    ids = sorted(set(visitor_ids))
    segments = list(
        Segment.objects.filter(is_active=True, kind=Segment.Kind.RULE, real_time_only=False)
    )
    if not ids or not segments:
        return {}
    compiler = sql_compiler(now, visitor_ids=ids)
    conditions = {}
    for segment in segments:
        condition = _stored_condition(compiler, segment)
        if condition is not None:
            conditions[segment] = condition
    refreshed = refresh_memberships_of(conditions=conditions, visitor_ids=ids, now=now)
    return {
        segment.key: (change.entered, change.left)
        for segment, change in refreshed.items()
        if change.entered or change.left
    }


def schedule_membership_refresh(visitor_ids: Iterable[str], *, debounce_seconds: int) -> list[str]:
    """Queue the visitors' membership refresh. With Redis and a worker, the visitors join
    one pending set that a single drain task refreshes (`segments.refresh_queue`: many
    requests, one task); otherwise one task for the visitors not already waiting for one
    (debounce: a burst of batches for the same visitor costs one task)."""
    from segments.tasks import refresh_visitor_memberships_task

    redis = refresh_queue.redis_client()
    if redis is not None:
        try:
            return refresh_queue.enqueue(redis, visitor_ids, countdown=debounce_seconds)
        except RedisError:
            logger.warning("membership refresh not coalesced: Redis failed", exc_info=True)
    pending = []
    for visitor_id in visitor_ids:
        # False means a refresh is already waiting; None (the cache is down) schedules one.
        if cache.add(f"segment-refresh:{visitor_id}", 1, debounce_seconds + 30) is not False:
            pending.append(visitor_id)
    if pending:
        try:
            refresh_visitor_memberships_task.apply_async(
                args=[sorted(pending)], countdown=debounce_seconds
            )
        except Exception:
            # Not queued (the broker is down): the marks must not hold back the replay.
            cache.delete_many([f"segment-refresh:{visitor_id}" for visitor_id in pending])
            raise
    return pending


def refresh_after_ingest(visitor_ids: list[str]) -> int:
    """The follow-up of an ingest for these visitors: their memberships, then their
    recent-event windows once more (two batches of one visitor committing close together
    may have written them in the wrong order). Returns the segments that changed."""
    changed = refresh_visitor_memberships(visitor_ids=visitor_ids)
    build_recent_windows(visitor_ids)
    return len(changed)


def drain_membership_refreshes() -> int:
    """Refresh the visitors pending in Redis (see `schedule_membership_refresh`); returns
    the visitors refreshed (0 without Redis: nothing is pending there)."""
    redis = refresh_queue.redis_client()
    if redis is None:
        return 0
    visitors, _ = refresh_queue.drain(redis, refresh_after_ingest)
    return visitors


def forget_recent_events(visitor_ids: Iterable[str]) -> None:
    cache.delete_many([recent_cache_key(visitor_id) for visitor_id in visitor_ids])


def build_recent_windows(visitor_ids: Iterable[str]) -> int:
    """Write the visitors' recent-event windows to the cache now, after their events were
    stored, instead of leaving the first decide to read them (the cold path: ~5x a warm
    decide). Two queries for the whole batch. Returns the visitors written."""
    ids = list(visitor_ids)
    if not ids:
        return 0
    catalog = current_catalog(ensure_version(cache.get(CONFIG_VERSION_KEY)))
    recent = recent_activity_of(ids, catalog, clock.now())
    cache.set_many(
        {recent_cache_key(vid): entry for vid, entry in recent.items()}, RECENT_TTL_SECONDS
    )
    return len(recent)


@transaction.atomic
def static_members_change(
    *, segment: Segment, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> MembershipChange:
    """Add or remove visitors of a static segment (lists, trigger actions)."""
    if segment.kind != Segment.Kind.STATIC:
        raise SegmentError("Only static segments take explicit members.", {"kind": "not static"})
    now = clock.now()
    removed = set(remove)
    # Only the named visitors are reconsidered: reading every member cost a trigger
    # batch as much as the segment is large.
    change = replace_memberships(
        segment=segment, member_ids=set(add) - removed, now=now, within=set(add) | removed
    )
    # A static segment is "computed" by its explicit changes, as by a full replacement.
    Segment.objects.filter(pk=segment.pk).update(last_computed_at=now)
    segment.last_computed_at = now
    changed = change.entered + change.left
    transaction.on_commit(lambda: forget_recent_events(changed))
    return change


def overlap(*, first: Segment, second: Segment) -> dict[str, Any]:
    """How two materialized segments overlap (sizes, intersection, Jaccard)."""
    first_ids = SegmentMembership.objects.filter(segment=first, left_at__isnull=True).values(
        "visitor_id"
    )
    both = SegmentMembership.objects.filter(
        segment=second, left_at__isnull=True, visitor_id__in=first_ids
    ).count()
    size_a = first.size or 0
    size_b = second.size or 0
    union = size_a + size_b - both
    return {
        "a": first.key,
        "b": second.key,
        "size_a": size_a,
        "size_b": size_b,
        "both": both,
        "only_a": size_a - both,
        "only_b": size_b - both,
        "jaccard": round(both / union, 4) if union else 0.0,
    }


def preview_count(*, rule: Any, parent_key: str | None = None) -> int | None:
    """How many visitors a rule would match now (None when it is real-time only)."""
    errors = validate_rule(rule, registry=current_registry())
    if errors:
        raise SegmentError("The rule is not valid.", _rule_error_fields(errors))
    full_rule = _with_parent(rule, parent_key)
    try:
        condition = sql_compiler(clock.now()).compile(full_rule)
    except NotMaterializable:
        return None
    return VisitorProfile.objects.filter(condition).count()


__all__ = [
    "InvalidRule",
    "RecomputeResult",
    "SegmentCycle",
    "SegmentError",
    "check_segment_rule",
    "overlap",
    "preview_count",
    "due_segment_ids",
    "recompute_due_segments",
    "recompute_segment",
    "recompute_segments",
    "drain_membership_refreshes",
    "refresh_after_ingest",
    "refresh_visitor_memberships",
    "schedule_membership_refresh",
    "segment_delete",
    "segment_save",
    "static_members_change",
]
