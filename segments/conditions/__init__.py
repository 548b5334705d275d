"""The segment condition language: validate, analyse, evaluate and describe rules.

Pure Python with no Django imports, so the API, the admin, bulk recomputation and
benchmarks share one implementation. See ``README.md`` for the language itself.
"""

from .describe import describe_rule
from .durations import InvalidDuration, format_duration, parse_duration
from .errors import InvalidRule, RuleError, SegmentCycle
from .evaluation import CompiledRule, Facts, compile_rule, evaluate, evaluate_segments
from .language import EVENT_TYPES
from .references import (
    context_fields,
    dependency_order,
    event_windows,
    find_cycle,
    largest_window_seconds,
    referenced_segments,
    uses_context,
)
from .validation import check_rule, validate_rule
from .windows import (
    NO_EVENTS,
    EventWindow,
    EventWindows,
    InMemoryEventWindows,
    PrecomputedEventWindows,
    PreparedEventWindows,
    WhereClause,
    window_rows,
)

__all__ = [
    "EVENT_TYPES",
    "NO_EVENTS",
    "CompiledRule",
    "EventWindow",
    "EventWindows",
    "Facts",
    "InMemoryEventWindows",
    "InvalidDuration",
    "InvalidRule",
    "PrecomputedEventWindows",
    "PreparedEventWindows",
    "RuleError",
    "SegmentCycle",
    "WhereClause",
    "check_rule",
    "compile_rule",
    "context_fields",
    "dependency_order",
    "describe_rule",
    "evaluate",
    "evaluate_segments",
    "event_windows",
    "find_cycle",
    "format_duration",
    "largest_window_seconds",
    "parse_duration",
    "referenced_segments",
    "uses_context",
    "validate_rule",
    "window_rows",
]
