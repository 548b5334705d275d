"""Event windows: what an ``events`` leaf asks for, and sources that answer it.

The evaluator never sees raw events; it asks an ``EventWindows`` source for one
aggregate per window. Sources: ``InMemoryEventWindows`` (a list of events, for tests and
small histories) and ``PrecomputedEventWindows`` (values computed ahead, e.g. by SQL).

Window semantics, which a SQL compiler must reproduce:
- an event is in the window when ``now - within <= timestamp <= now`` (both ends in);
- ``where`` keeps events whose ``properties`` pass every ``{op: value}`` test, with the
  same op semantics as fields (see ``operators``);
- ``count`` counts the kept events (0 when none); ``sum`` adds the numeric values of
  ``property`` (0 when none, like ``COALESCE(SUM(..), 0)``); ``max``/``min`` are missing
  (``None``) when no kept event has a numeric ``property``. Non-numeric values are skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from .durations import parse_duration
from .operators import NUMBER_TYPES, Predicate, compile_predicate
from .paths import resolve_path, split_path

WindowValue = int | float | None


@dataclass(frozen=True, slots=True)
class WhereClause:
    """One ``where`` test: ``properties.<property_name> <op> <value>`` (lists as tuples)."""

    property_name: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class EventWindow:
    """One aggregate over a visitor's recent events; hashable, so it can key a summary."""

    event_type: str
    where: tuple[WhereClause, ...]
    within_seconds: int
    agg: str = "count"
    property_name: str | None = None


class EventWindows(Protocol):
    """Answers window aggregates for one visitor."""

    def window_value(
        self,
        event_type: str,
        where: tuple[WhereClause, ...],
        within_seconds: int,
        agg: str,
        property_name: str | None,
    ) -> WindowValue: ...


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def window_from_spec(spec: Mapping[str, Any]) -> EventWindow:
    """Build the normalized window of a validated ``events`` object.

    ``where`` is sorted by property and op so equal windows compare and hash equal.
    """
    where = tuple(
        sorted(
            (
                WhereClause(property_name, op, _hashable(value))
                for property_name, tests in spec.get("where", {}).items()
                for op, value in tests.items()
            ),
            key=lambda clause: (clause.property_name, clause.op),
        )
    )
    return EventWindow(
        event_type=spec["type"],
        where=where,
        within_seconds=parse_duration(spec["within"]),
        agg=spec.get("agg", "count"),
        property_name=spec.get("property"),
    )


def where_predicate(where: tuple[WhereClause, ...]) -> Predicate:
    """Compile ``where`` into one test of an event's ``properties`` mapping."""
    tests = tuple(
        (split_path(clause.property_name), compile_predicate(clause.op, clause.value))
        for clause in where
    )

    def predicate(properties: Any) -> bool:
        return all(test(resolve_path(properties, keys)) for keys, test in tests)

    return predicate


def aggregate(agg: str, values: Iterable[Any]) -> WindowValue:
    """Aggregate a kept event's property values; non-numbers are skipped."""
    numbers = [value for value in values if type(value) in NUMBER_TYPES]
    if agg == "sum":
        return sum(numbers)
    if agg == "max":
        return max(numbers, default=None)
    if agg == "min":
        return min(numbers, default=None)
    raise ValueError(f"unknown aggregate {agg!r}")


class _NoEvents:
    """A visitor with no event history: counts and sums are 0, max/min missing."""

    def window_value(
        self,
        event_type: str,
        where: tuple[WhereClause, ...],
        within_seconds: int,
        agg: str,
        property_name: str | None,
    ) -> WindowValue:
        return 0 if agg in ("count", "sum") else None


NO_EVENTS: EventWindows = _NoEvents()


class InMemoryEventWindows:
    """Window aggregates over a list of ``{type, timestamp, properties}`` event dicts.

    ``timestamp`` must be an aware datetime. Results are memoized per window, so many
    rules asking for the same window scan the events once.
    """

    def __init__(self, events: Iterable[Mapping[str, Any]], *, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.now = now
        self._by_type: dict[str, list[tuple[datetime, Any]]] = defaultdict(list)
        for event in events:
            timestamp = event["timestamp"]
            if not isinstance(timestamp, datetime) or timestamp.tzinfo is None:
                raise ValueError("event timestamps must be aware datetimes")
            self._by_type[event["type"]].append((timestamp, event.get("properties") or {}))
        self._memo: dict[EventWindow, WindowValue] = {}

    def window_value(
        self,
        event_type: str,
        where: tuple[WhereClause, ...],
        within_seconds: int,
        agg: str,
        property_name: str | None,
    ) -> WindowValue:
        window = EventWindow(event_type, where, within_seconds, agg, property_name)
        if window not in self._memo:
            self._memo[window] = self._compute(window)
        return self._memo[window]

    def _compute(self, window: EventWindow) -> WindowValue:
        start = self.now - timedelta(seconds=window.within_seconds)
        matches = where_predicate(window.where)
        kept = [
            properties
            for timestamp, properties in self._by_type.get(window.event_type, ())
            if start <= timestamp <= self.now and matches(properties)
        ]
        if window.agg == "count":
            return len(kept)
        keys = split_path(window.property_name or "")
        return aggregate(window.agg, (resolve_path(properties, keys) for properties in kept))


class PrecomputedEventWindows:
    """Window values computed ahead (e.g. one SQL query per visitor), keyed by window.

    Asking for a window that was not precomputed is a caller bug, so it raises
    ``KeyError`` naming the window rather than guessing 0.
    """

    def __init__(self, values: Mapping[EventWindow, WindowValue]) -> None:
        self._values = dict(values)

    def window_value(
        self,
        event_type: str,
        where: tuple[WhereClause, ...],
        within_seconds: int,
        agg: str,
        property_name: str | None,
    ) -> WindowValue:
        window = EventWindow(event_type, where, within_seconds, agg, property_name)
        try:
            return self._values[window]
        except KeyError:
            raise KeyError(f"window not precomputed: {window}") from None
