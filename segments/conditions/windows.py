"""Event windows: what an ``events`` leaf asks for, and sources that answer it.

The evaluator never sees raw events; it asks an ``EventWindows`` source for one
aggregate per window. Sources: ``InMemoryEventWindows`` (a list of events, for tests and
small histories) and ``PrecomputedEventWindows`` (values computed ahead, e.g. by SQL).

Window semantics, which a SQL compiler must reproduce:
- an event is in the window when ``now - within <= timestamp <= now`` (both ends in);
- ``where`` keeps events whose ``properties`` pass every ``{op: value}`` test, with the
  same op semantics as fields (see ``operators``);
- a ``where`` path through a list property (``items.category``: the order lines) tests
  the list's elements: the event is kept when ANY one line passes every ``items.*`` test;
- ``count`` counts the kept events (0 when none); ``sum`` adds the numeric values of
  ``property`` (0 when none, like ``COALESCE(SUM(..), 0)``); ``max``/``min`` are missing
  (``None``) when no kept event has a numeric ``property``. Non-numeric values are skipped.
  An ``items.<name>`` property aggregates over the lines that passed the ``items.*``
  tests (every line when there are none) of the kept events; ``items.line_revenue`` is
  a line's price x quantity (see ``tracking.rule_fields.builtin.line_revenue``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from tracking.rule_fields import DERIVED_LINE_PROPERTIES, LIST_PROPERTIES
from tracking.rule_fields.paths import resolve_path, split_path

from .durations import parse_duration
from .operators import NUMBER_TYPES, Predicate, compile_predicate

WindowValue = int | float | None


@dataclass(frozen=True, slots=True)
class WhereClause:
    """One ``where`` test: ``properties.<property_name> <op> <value>`` (lists as tuples).

    ``value_types`` keeps ``true`` and ``1`` apart (equal in Python, not in a rule), so
    windows that differ only so never share a cache entry.
    """

    property_name: str
    op: str
    value: Any
    value_types: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        value = self.value
        kinds = tuple(map(type, value)) if isinstance(value, tuple) else type(value)
        object.__setattr__(self, "value_types", kinds)


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


def line_path(property_name: str) -> tuple[str, tuple[str, ...]] | None:
    """``("items", ("category",))`` for ``items.category``, a property of each element of
    a list property; None for a property of the event itself."""
    head, dot, rest = property_name.partition(".")
    if dot and head in LIST_PROPERTIES:
        return head, split_path(rest)
    return None


def line_reader(keys: tuple[str, ...]) -> Callable[[Any], Any]:
    """Read ``keys`` of one line; a derived line property (``line_revenue``) is computed."""
    if len(keys) == 1 and keys[0] in DERIVED_LINE_PROPERTIES:
        derived: Callable[[Any], Any] = DERIVED_LINE_PROPERTIES[keys[0]][0]
        return derived
    return lambda line: resolve_path(line, keys)


WindowComputation = Callable[[Iterable[Any]], "WindowValue"]


EventValues = tuple[Any, ...]
EventReader = Callable[[Any], "EventValues | None"]


@lru_cache(maxsize=2048)
def compile_event_reader(window: EventWindow) -> EventReader:
    """``one event's properties -> None`` when the window's ``where`` drops the event,
    else the numeric values it adds to the aggregate (none for ``count``). Time plays no
    part, so what an event gives a window can be worked out once, when it is stored."""
    event_tests: list[tuple[tuple[str, ...], Predicate]] = []
    line_tests: dict[str, list[tuple[Callable[[Any], Any], Predicate]]] = {}
    for clause in window.where:
        predicate = compile_predicate(clause.op, clause.value)
        through = line_path(clause.property_name)
        if through is None:
            event_tests.append((split_path(clause.property_name), predicate))
        else:
            line_tests.setdefault(through[0], []).append((line_reader(through[1]), predicate))
    target = line_path(window.property_name) if window.property_name else None

    def lines_passing(properties: Any, list_name: str) -> list[Any]:
        lines = properties.get(list_name) if isinstance(properties, Mapping) else None
        if type(lines) is not list:
            return []
        tests = line_tests.get(list_name, ())
        return [line for line in lines if all(test(read(line)) for read, test in tests)]

    def kept(properties: Any) -> bool:
        for keys, test in event_tests:
            if not test(resolve_path(properties, keys)):
                return False
        return all(lines_passing(properties, list_name) for list_name in line_tests)

    if window.agg == "count":
        return lambda properties: () if kept(properties) else None
    if target is None:
        keys = split_path(window.property_name or "")

        def event_value(properties: Any) -> EventValues | None:
            if not kept(properties):
                return None
            value = resolve_path(properties, keys)
            return (value,) if type(value) in NUMBER_TYPES else ()

        return event_value
    list_name, line_keys = target
    read_line = line_reader(line_keys)

    def line_values(properties: Any) -> EventValues | None:
        if not kept(properties):
            return None
        values = (read_line(line) for line in lines_passing(properties, list_name))
        return tuple(value for value in values if type(value) in NUMBER_TYPES)

    return line_values


@lru_cache(maxsize=2048)
def compile_window(window: EventWindow) -> WindowComputation:
    """``events' properties -> the window's value`` (the events already in its time
    range and of its type); compiled once per distinct window and cached."""
    read = compile_event_reader(window)
    if window.agg == "count":
        return lambda events: sum(1 for properties in events if read(properties) is not None)
    return lambda events: aggregate(
        window.agg, (value for properties in events for value in read(properties) or ())
    )


def aggregate(agg: str, values: Iterable[Any]) -> WindowValue:
    """Aggregate a kept event's property values; non-numbers are skipped."""
    numbers: list[int | float] = [value for value in values if type(value) in NUMBER_TYPES]
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


class _MemoizedWindows(ABC):
    """Answers each window once per instance (many rules ask for the same window); the
    subclass says how a window is computed."""

    _memo: dict[EventWindow, WindowValue]

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

    @abstractmethod
    def _compute(self, window: EventWindow) -> WindowValue: ...


class InMemoryEventWindows(_MemoizedWindows):
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

    def _compute(self, window: EventWindow) -> WindowValue:
        start = self.now - timedelta(seconds=window.within_seconds)
        return compile_window(window)(
            properties
            for timestamp, properties in self._by_type.get(window.event_type, ())
            if start <= timestamp <= self.now
        )


EventRow = tuple[int, EventValues]  # (timestamp in µs since the epoch, numeric values)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def epoch_us(moment: datetime) -> int:
    """An aware datetime as whole microseconds since the epoch (exact, unlike floats)."""
    return (moment - _EPOCH) // _MICROSECOND


def window_rows(window: EventWindow, events: Iterable[Mapping[str, Any]]) -> list[EventRow]:
    """The events of ``window``'s type its ``where`` keeps, whatever their time, each with
    the values it adds: built when a visitor's recent events are cached, so a request
    only cuts them by time (``PreparedEventWindows``)."""
    read = compile_event_reader(window)
    rows = []
    for event in events:
        if event["type"] == window.event_type:
            values = read(event.get("properties") or {})
            if values is not None:
                rows.append((epoch_us(event["timestamp"]), values))
    return rows


class PreparedEventWindows(_MemoizedWindows):
    """Window aggregates from rows built ahead by ``window_rows`` (``index`` gives a
    window's rows in ``rows``), cut to ``now - within <= timestamp <= now`` per call, as
    ``InMemoryEventWindows`` does. A window without rows (a rule other than the ones the
    rows were built for, e.g. a variant's context rule) is answered from the events
    ``events()`` returns (read only then: they cost more to load than the rows)."""

    def __init__(
        self,
        index: Mapping[EventWindow, int],
        rows: Sequence[list[EventRow]],
        events: Callable[[], Iterable[Mapping[str, Any]]],
        *,
        now: datetime,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.now = now
        self._now_us = epoch_us(now)
        self._index, self._rows, self._events = index, rows, events
        self._fallback: InMemoryEventWindows | None = None
        self._memo: dict[EventWindow, WindowValue] = {}

    def _compute(self, window: EventWindow) -> WindowValue:
        position = self._index.get(window)
        if position is None:
            if self._fallback is None:
                self._fallback = InMemoryEventWindows(self._events(), now=self.now)
            return self._fallback._compute(window)  # memoized here
        start, end = self._now_us - window.within_seconds * 1_000_000, self._now_us
        kept = [values for at, values in self._rows[position] if start <= at <= end]
        if window.agg == "count":
            return len(kept)
        return aggregate(window.agg, (number for values in kept for number in values))


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
