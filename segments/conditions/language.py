"""The vocabulary and limits of the segment condition language, in one place.

Validation, evaluation, description and any SQL compiler read these names so they
can never disagree about what the language contains.
"""

from __future__ import annotations

import re

from tracking.event_validation import EVENT_TYPES as TRACKED_EVENT_TYPES

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

# One vocabulary of event types for ingest and rules (tracking.event_validation is pure).
EVENT_TYPES = TRACKED_EVENT_TYPES

NAMESPACES = ("profile", "attributes", "context")
CONTEXT_FIELDS = frozenset(
    {
        "device",
        "country",
        "city",
        "referrer_host",
        "utm_source",
        "utm_campaign",
        "utm_medium",
        "local_hour",
        "local_weekday",
        "logged_in",
        "url",
        "path",
    }
)
# ``context.query.<param>``: one request query parameter, by name.
CONTEXT_QUERY = "query"
# Context fields with a fixed type; the others are strings.
CONTEXT_FIELD_TYPES: dict[str, str] = {
    "local_hour": "number",  # 0-23 in the visitor's zone
    "local_weekday": "number",  # ISO 8601: 1 = Monday ... 7 = Sunday
    "logged_in": "bool",
}

# A dotted path part: profile keys such as ``interest.outdoor/tents`` need ``/``.
FIELD_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-/:]*", re.ASCII)
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
