"""The vocabulary and limits of the segment condition language, in one place.

Validation, evaluation, description and any SQL compiler read these names so they
can never disagree about what the language contains. The fields themselves (paths,
types, ops, choices) are in the registry, `tracking.rule_fields`.
"""

from __future__ import annotations

import re
from datetime import date

from tracking.rule_fields import BUILTIN_REGISTRY

GROUP_KINDS = ("all", "any")
NODE_KINDS = ("all", "any", "not", "segment", "field", "events")
NODE_KEYS: dict[str, frozenset[str]] = {
    "all": frozenset({"all"}),
    "any": frozenset({"any"}),
    "not": frozenset({"not"}),
    "segment": frozenset({"segment"}),
    "field": frozenset({"field", "op", "value"}),
    "events": frozenset({"events", "op", "value"}),
}
EVENT_SPEC_KEYS = frozenset({"type", "where", "within", "agg", "property"})

OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "startswith", "exists")
ORDERING_OPS = frozenset({"lt", "lte", "gt", "gte"})
LIST_OPS = frozenset({"in", "not_in"})
# An aggregate is a number (or missing), so text ops make no sense on it.
EVENT_LEAF_OPS = frozenset(OPS) - {"contains", "startswith"}

AGGREGATES = ("count", "sum", "max", "min")

# The built-in event types (ingest's vocabulary); a registry may add custom ones.
EVENT_TYPES = BUILTIN_REGISTRY.event_type_names

# Which fields exist, with their types, ops and choices: the registry in
# `tracking.rule_fields`, which callers pass to validation and compilation.
SEGMENT_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*", re.ASCII)

# Limits keep hostile or accidental input cheap to validate, store and evaluate.
MAX_DEPTH = 12
MAX_NODES = 200
MAX_LIST_LENGTH = 100
MAX_STRING_LENGTH = 500
MAX_FIELD_LENGTH = 200
MAX_SEGMENT_KEY_LENGTH = 100
MAX_WHERE_PROPERTIES = 10
MAX_ERRORS = 50
# Integers beyond this lose precision as JSON doubles, in browsers and in SQL.
MAX_SAFE_INTEGER = 2**53
# Dates a rule may compare with: wide enough for any shop, narrow enough that date
# arithmetic (a UTC day's end, a time zone shift) never leaves the calendar.
EARLIEST_RULE_DATE = date(1900, 1, 1)
LATEST_RULE_DATE = date(2999, 12, 31)
