"""Pure trigger logic: quiet hours, caps, backoff, entry substitution and signatures.

No Django imports, so the rules are easy to test and to benchmark.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

ENTRY_PREFIX = "$entry."
# A where-value no real property equals, for "$entry.x" when the entry event has no x.
MISSING_ENTRY_VALUE = "\x00missing"
SIGNATURE_HEADER = "X-Pz-Signature"


@dataclass(frozen=True)
class Entry:
    """The event that started an occurrence (None for sweeps)."""

    event_pk: int
    timestamp: datetime
    properties: dict[str, Any] = field(default_factory=dict)


class Check(StrEnum):
    """The checks of a firing decision, in the order they are made."""

    VISITOR = "visitor"
    CANCEL_EVENT = "cancel_event"
    CONSENT = "consent"
    HOLDOUT = "holdout"  # the global holdout (core.holdout) gets no triggers
    EMAIL_ADDRESS = "email_address"
    CONDITIONS = "conditions"
    QUIET_HOURS = "quiet_hours"
    FREQUENCY_CAP = "frequency_cap"
    DAILY_CAP = "daily_cap"

    @property
    def label(self) -> str:
        return CHECK_LABELS[self]


class Outcome(StrEnum):
    """What a decision does with an occurrence."""

    FIRE = "fire"
    SKIP = "skip"
    CANCEL = "cancel"  # the cancel event happened during the wait
    DEFER = "defer"  # a waiting occurrence is due again when quiet hours end

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


# Display only (the dry run, the firing log): decisions never compare these.
CHECK_LABELS = {
    Check.VISITOR: "visitor",
    Check.CANCEL_EVENT: "cancel event",
    Check.CONSENT: "consent",
    Check.HOLDOUT: "global holdout",
    Check.EMAIL_ADDRESS: "email address",
    Check.CONDITIONS: "conditions",
    Check.QUIET_HOURS: "quiet hours",
    Check.FREQUENCY_CAP: "frequency cap",
    Check.DAILY_CAP: "daily cap",
}
OUTCOME_LABELS = {
    Outcome.FIRE: "would fire",
    Outcome.SKIP: "would be skipped",
    Outcome.CANCEL: "would be cancelled",
    Outcome.DEFER: "would wait until quiet hours end",
}


def outcome_of(failed: Check | None, *, waited: bool) -> Outcome:
    """Fire when every check passes; the cancel event cancels; quiet hours defer an
    occurrence that waited (an immediate one is skipped, as any other failure)."""
    if failed is None:
        return Outcome.FIRE
    if failed is Check.CANCEL_EVENT:
        return Outcome.CANCEL
    if failed is Check.QUIET_HOURS and waited:
        return Outcome.DEFER
    return Outcome.SKIP


@dataclass
class Step:
    """One check of a trigger decision, as the dry run shows it."""

    check: Check
    passed: bool
    detail: str = ""

    @property
    def described(self) -> str:
        return f"{self.check.label}: {self.detail}"


@dataclass
class Assessment:
    steps: list[Step] = field(default_factory=list)
    rendered: dict[str, Any] = field(default_factory=dict)

    def add(self, check: Check, passed: bool, detail: str = "") -> bool:
        self.steps.append(Step(check, passed, detail))
        return passed

    @property
    def failed(self) -> Step | None:
        return next((step for step in self.steps if not step.passed), None)

    @property
    def ok(self) -> bool:
        return self.failed is None

    @property
    def reason(self) -> str:
        failed = self.failed
        return failed.described if failed else ""


def in_quiet_hours(local_hour: int, start: int | None, end: int | None) -> bool:
    """Whether `local_hour` lies in [start, end); the span may wrap midnight (22 -> 7)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local_hour < end
    return local_hour >= start or local_hour < end


def quiet_hours_end(local_now: datetime, start: int | None, end: int | None) -> datetime:
    """The first local time at or after `local_now` outside quiet hours."""
    if not in_quiet_hours(local_now.hour, start, end):
        return local_now
    candidate = local_now.replace(hour=end or 0, minute=0, second=0, microsecond=0)
    if candidate <= local_now:
        candidate += timedelta(days=1)
    return candidate


def frequency_allows(fired: int, count: int, seconds: int) -> bool:
    """Whether one more firing fits a cap of `count` per `seconds`, `fired` being the
    firings within that period (a count of 0 means no cap)."""
    return count <= 0 or seconds <= 0 or fired < count


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 600.0) -> float:
    """Exponential backoff before retry number `attempt` (1-based): base, 2 base, 4 base..."""
    return min(cap, base * (2 ** max(0, attempt - 1)))


def substitute_entry(rule: Any, properties: Mapping[str, Any]) -> Any:
    """Replace "$entry.<path>" strings of a rule with the entry event's property value,
    so "the same category as the event that started it" can be written as a rule."""
    if isinstance(rule, dict):
        return {key: substitute_entry(value, properties) for key, value in rule.items()}
    if isinstance(rule, list):
        return [substitute_entry(value, properties) for value in rule]
    if isinstance(rule, str) and rule.startswith(ENTRY_PREFIX):
        return entry_value(rule, properties)
    return rule


def entry_value(reference: str, properties: Mapping[str, Any]) -> Any:
    """The entry event's value for a "$entry.<path>" string; a value no property equals
    when the event has none (or a nested one)."""
    value: Any = properties
    for part in reference[len(ENTRY_PREFIX) :].split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if value is None or isinstance(value, dict | list):
        return MISSING_ENTRY_VALUE
    return value


def entry_references(rule: Any) -> tuple[str, ...]:
    """The distinct "$entry.<path>" strings of a rule, sorted."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node.startswith(ENTRY_PREFIX):
            found.add(node)

    walk(rule)
    return tuple(sorted(found))


def uses_entry(rule: Any) -> bool:
    if isinstance(rule, dict):
        return any(uses_entry(value) for value in rule.values())
    if isinstance(rule, list):
        return any(uses_entry(value) for value in rule)
    return isinstance(rule, str) and rule.startswith(ENTRY_PREFIX)


def sign(secret: str, body: bytes) -> str:
    """The `X-Pz-Signature` value: HMAC-SHA256 of the raw body with the trigger's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return bool(header) and hmac.compare_digest(sign(secret, body), header or "")


def prefilter(rule: Any, leaf: Any) -> bool | None:
    """Three-valued verdict of a rule from the leaves `leaf` can answer now (True,
    False, or None for unknown: event windows, segments): False means the rule cannot
    hold whatever the unknown leaves say, so the occurrence needs no query at all."""
    if not isinstance(rule, dict) or not rule:
        return True
    if "all" in rule:
        # Short-circuits like the evaluator: one False child decides, the rest is unread.
        unknown = False
        for child in rule["all"]:
            verdict = prefilter(child, leaf)
            if verdict is False:
                return False
            unknown = unknown or verdict is None
        return None if unknown else True
    if "any" in rule:
        unknown = False
        for child in rule["any"]:
            verdict = prefilter(child, leaf)
            if verdict is True:
                return True
            unknown = unknown or verdict is None
        return None if unknown else False
    if "not" in rule:
        verdict = prefilter(rule["not"], leaf)
        return None if verdict is None else not verdict
    result: bool | None = leaf(rule)
    return result
