"""What each op means for one value: the semantics a SQL compiler must reproduce.

Every predicate takes the actual value, where ``None`` means missing (absent key or
JSON null), and never raises. The rules, SQL-NULL-like:

- missing makes every op false except ``exists: false`` (so ``ne``/``not_in`` on a
  missing value are false too);
- equality is typed as in JSON (and PostgreSQL ``jsonb``): a string never equals a
  number, ``true`` never equals ``1``, ``1`` equals ``1.0``;
- ``lt``/``lte``/``gt``/``gte`` compare numbers with numbers, and ISO dates/datetimes
  with ISO date/datetime strings; any other pairing is false;
- ``contains`` is a case-sensitive substring test on strings and a typed membership
  test on lists; ``startswith`` is case-sensitive and only for strings.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

Predicate = Callable[[Any], bool]

NUMBER_TYPES = (int, float)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def is_number(value: object) -> bool:
    """True for JSON numbers; ``bool`` is an ``int`` in Python but not a number here."""
    return type(value) in NUMBER_TYPES


def parse_rule_temporal(text: str) -> date | datetime | None:
    """Parse a rule's ISO value: a date (``2026-11-26``) or a datetime with its zone."""
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    match = _ISO_DATETIME.fullmatch(text)
    if match is None or match.group("zone") is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _parse_fact_datetime(text: str) -> datetime | None:
    """Parse a stored ISO string; the server stores UTC, so a zoneless one is UTC."""
    try:
        if _ISO_DATE.fullmatch(text):
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        if _ISO_DATETIME.fullmatch(text):
            parsed = datetime.fromisoformat(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        return None
    return None


def _fact_datetime(actual: object) -> datetime | None:
    if isinstance(actual, str):
        return _parse_fact_datetime(actual)
    if isinstance(actual, datetime):
        return actual if actual.tzinfo else actual.replace(tzinfo=UTC)
    if isinstance(actual, date):
        return datetime.combine(actual, datetime.min.time(), UTC)
    return None


def _fact_date(actual: object) -> date | None:
    moment = _fact_datetime(actual)
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC).date()
    except OverflowError:  # year 1 or 9999 shifted past the calendar's edge
        return None


def equals(expected: object) -> Predicate:
    """Typed JSON equality with a scalar."""
    if isinstance(expected, bool):
        return lambda actual: actual is expected
    if isinstance(expected, str):
        return lambda actual: type(actual) is str and actual == expected
    return lambda actual: type(actual) in NUMBER_TYPES and actual == expected


def one_of(values: list[Any] | tuple[Any, ...]) -> Predicate:
    """Typed membership in a list of scalars (the ``in`` op)."""
    strings = frozenset(v for v in values if type(v) is str)
    numbers = frozenset(v for v in values if type(v) in NUMBER_TYPES)
    # Kept apart from numbers because True == 1 in Python but not in JSON.
    booleans = frozenset(v for v in values if type(v) is bool)

    def predicate(actual: Any) -> bool:
        kind = type(actual)
        if kind is str:
            return actual in strings
        if kind is bool:
            return actual in booleans
        if kind in NUMBER_TYPES:
            return actual in numbers
        return False

    return predicate


def _contains(expected: object) -> Predicate:
    element_equals = equals(expected)
    text = expected if isinstance(expected, str) else None

    def predicate(actual: Any) -> bool:
        if type(actual) is str:
            return text is not None and text in actual
        if type(actual) in (list, tuple):
            return any(element_equals(element) for element in actual)
        return False

    return predicate


def _ordering(op: str, expected: object) -> Predicate:
    compare = _ORDERINGS[op]
    if isinstance(expected, str):
        bound = parse_rule_temporal(expected)
        if isinstance(bound, datetime):
            return lambda actual: (
                (moment := _fact_datetime(actual)) is not None and compare(moment, bound)
            )
        if isinstance(bound, date):
            return lambda actual: (day := _fact_date(actual)) is not None and compare(day, bound)
        return lambda actual: False
    return lambda actual: type(actual) in NUMBER_TYPES and compare(actual, expected)


def _negation(positive: Predicate) -> Predicate:
    # SQL-like: a missing value is neither equal nor unequal to anything.
    return lambda actual: actual is not None and not positive(actual)


def compile_predicate(op: str, expected: Any) -> Predicate:
    """Return a never-raising test of an actual value against ``op``/``expected``.

    ``expected`` must already be validated for ``op``.
    """
    if op == "exists":
        return (lambda actual: actual is not None) if expected else (lambda actual: actual is None)
    if op == "eq":
        return equals(expected)
    if op == "ne":
        return _negation(equals(expected))
    if op == "in":
        return one_of(expected)
    if op == "not_in":
        return _negation(one_of(expected))
    if op == "contains":
        return _contains(expected)
    if op == "startswith":
        return lambda actual: type(actual) is str and actual.startswith(expected)
    if op in _ORDERINGS:
        return _ordering(op, expected)
    raise ValueError(f"unknown op {op!r}")
