"""Errors of the condition language: each names the failing node's path and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleError:
    """One problem in a rule: ``path`` such as ``all[1].events.within`` ("" is the root)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path or '(rule)'}: {self.reason}"


class InvalidRule(ValueError):
    """A rule that does not validate; ``errors`` lists every problem found, first first."""

    def __init__(self, errors: Sequence[RuleError]) -> None:
        if not errors:
            raise ValueError("InvalidRule needs at least one RuleError")
        self.errors: tuple[RuleError, ...] = tuple(errors)
        super().__init__(str(self.errors[0]))

    @property
    def path(self) -> str:
        return self.errors[0].path

    @property
    def reason(self) -> str:
        return self.errors[0].reason


class SegmentCycle(ValueError):
    """Segments that refer to each other in a loop, e.g. ``a -> b -> a``."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle: tuple[str, ...] = tuple(cycle)
        super().__init__("segments refer to each other in a loop: " + " -> ".join(self.cycle))
