"""The shape of the field registry: fields, families of fields, SQL sources, extensions.

A ``Field`` says everything pz knows about one value a rule may read: its path, type,
label and unit for marketers, how Python reads it from a visitor's facts, how SQL reads
it from the profile table (per vendor where the two differ), which ops and values make
sense, and named choices where they exist. A ``FieldFamily`` stands for fields that
differ by one key (``profile.interest.<category>``). A ``FieldRegistry`` holds them and
answers "what is this path?" for validation, both evaluators, the admin builder and the
API docs. Pure Python with no Django imports.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tracking.rule_fields.paths import resolve_path, split_path

STRING = "string"
NUMBER = "number"
BOOLEAN = "boolean"
DATE = "date"
FIELD_TYPES = (STRING, NUMBER, BOOLEAN, DATE)
# The ops that make sense for each type; a field may allow fewer (e.g. only `exists`).
OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    NUMBER: ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "exists"),
    STRING: ("eq", "ne", "in", "not_in", "contains", "startswith", "exists"),
    BOOLEAN: ("eq", "ne", "exists"),
    DATE: ("lt", "lte", "gt", "gte", "exists"),
}
# For values that change with the clock (decayed scores, days since): "exactly 2.37"
# means nothing to a marketer, and no two evaluators round it alike.
ORDERING_ONLY = ("lt", "lte", "gt", "gte", "exists")

# Where a field's value comes from: the stored profile (as `GET /visitors/{id}` shows
# it), the imported customer attributes, or the request being answered.
SOURCES = ("profile", "attributes", "context")
# How the rule builder groups fields, in this order.
PROFILE = "Profile"
BEHAVIOUR = "Behaviour"
ATTRIBUTES = "Customer attributes"
CONTEXT = "Context"
GROUPS = (PROFILE, BEHAVIOUR, ATTRIBUTES, CONTEXT)

# A dotted path part: profile keys such as ``interest.outdoor/tents`` need ``/``.
FIELD_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-/:]*", re.ASCII)
# Fuzzy "did you mean" suggestions for unknown paths.
_SUGGESTION_CUTOFF = 0.75
# Family fields looked up once are kept; rules name few distinct keys.
_MAX_MEMO = 4096

Reader = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Choice:
    """A value a field takes and its name for people: ``Choice("DE", "Germany")``."""

    value: str | int | float | bool
    label: str


# --- how the bulk (SQL) evaluator reads a field ----------------------------------------
# Each is a description the SQL compiler (`segments.sql`) turns into an expression over
# the profile table; a field without one is only known at request time (context).


@dataclass(frozen=True, slots=True)
class Column:
    """A profile column as it is stored."""

    column: str
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class JsonKey:
    """A value inside a JSON column; its JSON type is read per row, as Python reads it."""

    column: str
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VendorSql:
    """An SQL expression per vendor over profile columns named in braces (``{orders}``),
    or over the order line ``{line}`` for line properties; NULL means missing."""

    postgresql: str
    sqlite: str

    @classmethod
    def portable(cls, sql: str) -> VendorSql:
        """The same SQL on both vendors."""
        return cls(postgresql=sql, sqlite=sql)

    def for_vendor(self, vendor: str) -> str:
        if vendor == "postgresql":
            return self.postgresql
        if vendor == "sqlite":
            return self.sqlite
        raise ValueError(f"no SQL for the {vendor} database")


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A datetime column, compared with ISO dates (UTC day) or datetimes (instants)."""

    column: str


@dataclass(frozen=True, slots=True)
class DaysSince:
    """Days from a timestamp column until now (missing while it is NULL): compared
    through the timestamp, so "at most 30 days" is an index range, not a computation."""

    column: str


@dataclass(frozen=True, slots=True)
class DecayedScore:
    """A time-decayed score stored as log2 at a fixed epoch (`tracking.decay`), in a
    column or at ``keys`` inside a JSON column; compared through its stored log.
    ``zero_when_missing``: the profile shows 0.0 rather than nothing when none is stored."""

    column: str
    half_life: str  # "interest" or "engagement": which ProfileSettings half-life applies
    keys: tuple[str, ...] = ()
    zero_when_missing: bool = False


@dataclass(frozen=True, slots=True)
class ClockFlag:
    """A flag derived from stored timestamps, the clock and the profile settings
    (`tracking.profile_state.flags`); the SQL compiler knows each by name."""

    name: str


SqlSource = Column | JsonKey | VendorSql | Timestamp | DaysSince | DecayedScore | ClockFlag


def path_reader(keys: tuple[str, ...]) -> Reader:
    """A getter of ``keys`` inside a mapping: None when a step is missing (SQL NULL).

    The getter carries its keys as ``path_keys``, so an evaluator may inline the lookup.
    """
    if len(keys) == 1:
        (key,) = keys

        def read(source: Mapping[str, Any]) -> Any:
            return source.get(key)

    elif len(keys) == 2:
        first, second = keys

        def read(source: Mapping[str, Any]) -> Any:
            inner = source.get(first)
            if type(inner) is dict or isinstance(inner, Mapping):
                return inner.get(second)
            return None

    else:

        def read(source: Mapping[str, Any]) -> Any:
            return resolve_path(source, keys)

    read.path_keys = keys  # type: ignore[attr-defined]
    return read


@dataclass(frozen=True, slots=True)
class Field:
    """One value a rule may read. ``read`` takes the mapping of the field's source (the
    profile document, the customer attributes or the request context) and returns the
    value, None when missing; it defaults to following the path. ``sql`` is None only
    for request context. ``closed``: the choices are the only valid values."""

    path: str
    type: str
    label: str
    group: str
    sql: SqlSource | None
    unit: str = ""
    description: str = ""
    ops: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    closed: bool = False
    minimum: float | None = None
    maximum: float | None = None
    hidden: bool = False  # valid in rules, not offered by the builder (aliases, ids)
    read: Reader | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        source, _, rest = self.path.partition(".")
        if source not in SOURCES or not rest:
            raise ValueError(f"{self.path}: a field path starts with {', '.join(SOURCES)}")
        if not all(FIELD_PART.fullmatch(part) for part in rest.split(".")):
            raise ValueError(f"{self.path}: not a dotted field path")
        if self.type not in FIELD_TYPES:
            raise ValueError(f"{self.path}: unknown type {self.type!r}")
        if self.group not in GROUPS:
            raise ValueError(f"{self.path}: unknown group {self.group!r}")
        allowed = OPS_BY_TYPE[self.type]
        if not self.ops:
            object.__setattr__(self, "ops", allowed)
        elif not set(self.ops) <= set(allowed):
            raise ValueError(f"{self.path}: ops {self.ops} do not all apply to a {self.type}")
        if self.sql is None and source != "context":
            raise ValueError(f"{self.path}: a stored field needs its SQL")
        if self.closed and not self.choices:
            raise ValueError(f"{self.path}: closed choices need choices")
        if self.read is None:
            object.__setattr__(self, "read", path_reader(split_path(rest)))

    @property
    def source(self) -> str:
        return self.path.partition(".")[0]

    def choice_label(self, value: object) -> str | None:
        for choice in self.choices:
            if choice.value == value and type(choice.value) is type(value):
                return choice.label
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "label": self.label,
            "group": self.group,
            "type": self.type,
            "unit": self.unit,
            "description": self.description,
            "ops": list(self.ops),
            "choices": [{"value": c.value, "label": c.label} for c in self.choices],
            "closed": self.closed,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "real_time_only": self.sql is None,
        }


@dataclass(frozen=True, slots=True)
class FieldFamily:
    """Fields that differ by one last key: ``profile.interest.<category>``.

    ``label`` has a ``{key}`` placeholder for the key's label. ``keys`` are the known
    keys (builder suggestions); ``closed_keys`` makes them the only valid ones, and
    ``event_type_keys`` makes the registry's event types the keys. ``key_pattern``
    checks open keys, ``key_hint`` says what a key looks like when one does not match.
    """

    prefix: str
    key_name: str
    type: str
    label: str
    group: str
    sql: Callable[[str], SqlSource] | None
    unit: str = ""
    description: str = ""
    keys: tuple[Choice, ...] = ()
    closed_keys: bool = False
    event_type_keys: bool = False
    key_pattern: re.Pattern[str] = FIELD_PART
    key_hint: str = ""
    minimum: float | None = None
    maximum: float | None = None
    ops: tuple[str, ...] = ()

    def field(self, key: str, key_label: str | None = None) -> Field:
        return Field(
            path=self.prefix + key,
            type=self.type,
            label=self.label.format(key=key_label or key),
            group=self.group,
            sql=self.sql(key) if self.sql else None,
            unit=self.unit,
            description=self.description,
            minimum=self.minimum,
            maximum=self.maximum,
            ops=self.ops,
        )

    def as_json(self, keys: Iterable[Choice]) -> dict[str, Any]:
        sample = self.field("x")
        return {
            "prefix": self.prefix,
            "key_name": self.key_name,
            "label": self.label,
            "group": self.group,
            "type": self.type,
            "unit": self.unit,
            "description": self.description,
            "ops": list(sample.ops),
            "keys": [{"value": c.value, "label": c.label} for c in keys],
            "closed_keys": self.closed_keys or self.event_type_keys,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "real_time_only": self.sql is None,
        }


@dataclass(frozen=True, slots=True)
class EventProperty:
    """A known property of events, for the builder's suggestions and labels. ``items.*``
    are order-line properties (see ``LIST_PROPERTIES``); ``event_types`` empty: any."""

    path: str
    label: str
    type: str | None = None
    event_types: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "label": self.label,
            "type": self.type,
            "event_types": list(self.event_types),
        }


@dataclass(frozen=True, slots=True)
class Extension:
    """What a field provider adds at run time: custom customer attributes (made with
    ``attribute_field``), custom event types and their properties."""

    fields: tuple[Field, ...] = ()
    event_types: tuple[Choice, ...] = ()
    event_properties: tuple[EventProperty, ...] = ()


# A provider returns what it adds; `segments.field_registry` calls the configured ones
# once per configuration version (settings.PZ_RULE_FIELD_PROVIDERS).
FieldProvider = Callable[[], Extension]


def attribute_field(
    key: str,
    type: str,
    label: str,
    *,
    choices: Iterable[Choice] = (),
    closed: bool = False,
    description: str = "",
    ops: tuple[str, ...] = (),
) -> Field:
    """A customer attribute stored in the profile's attributes (``attributes.<key>``)."""
    return Field(
        path=f"attributes.{key}",
        type=type,
        label=label,
        group=ATTRIBUTES,
        sql=JsonKey("attributes", (key,)),
        description=description,
        choices=tuple(choices),
        closed=closed,
        ops=ops,
    )


class FieldRegistry:
    """Every field rules may read, and the event types windows may count. Immutable:
    ``extended`` returns a new registry with a provider's additions."""

    def __init__(
        self,
        *,
        fields: Iterable[Field] = (),
        families: Iterable[FieldFamily] = (),
        event_types: Iterable[Choice] = (),
        event_properties: Iterable[EventProperty] = (),
    ) -> None:
        self.fields: tuple[Field, ...] = tuple(fields)
        self.families: tuple[FieldFamily, ...] = tuple(families)
        self.event_types: tuple[Choice, ...] = tuple(event_types)
        self.event_properties: tuple[EventProperty, ...] = tuple(event_properties)
        self.event_type_names: frozenset[str] = frozenset(
            str(choice.value) for choice in self.event_types
        )
        self._by_path: dict[str, Field] = {}
        for item in self.fields:
            if item.path in self._by_path:
                raise ValueError(f"{item.path} is defined twice")
            self._by_path[item.path] = item
        self._memo: dict[str, Field | str] = {}

    def extended(self, extension: Extension) -> FieldRegistry:
        """This registry plus what a provider adds; redefining a field is an error, but
        for customer attributes, which a provider may redefine."""
        taken = set(self.event_type_names)
        for choice in extension.event_types:
            if str(choice.value) in taken:
                raise ValueError(f"event type {choice.value} is defined twice")
            taken.add(str(choice.value))
        # A shop's definition of a built-in CRM column (attributes.loyalty_tier with its
        # own choices) replaces it; personal data (exists-only) cannot be redefined.
        replaced = {
            item.path
            for item in extension.fields
            if item.source == "attributes"
            and (known := self._by_path.get(item.path)) is not None
            and known.source == "attributes"
            and known.ops != ("exists",)
        }
        return FieldRegistry(
            fields=(
                *(item for item in self.fields if item.path not in replaced),
                *extension.fields,
            ),
            families=self.families,
            event_types=(*self.event_types, *extension.event_types),
            event_properties=(*self.event_properties, *extension.event_properties),
        )

    def family_keys(self, family: FieldFamily) -> tuple[Choice, ...]:
        return self.event_types if family.event_type_keys else family.keys

    def lookup(self, path: str) -> Field | str:
        """The field at ``path``, or the reason it is not one (for a 400 naming it)."""
        known = self._by_path.get(path)
        if known is not None:
            return known
        found = self._memo.get(path)
        if found is None:
            found = self._resolve(path)
            if len(self._memo) < _MAX_MEMO:
                self._memo[path] = found
        return found

    def _resolve(self, path: str) -> Field | str:
        namespace, _, rest = path.partition(".")
        if namespace not in SOURCES:
            return "a field starts with profile., attributes. or context."
        if not rest or not all(FIELD_PART.fullmatch(part) for part in rest.split(".")):
            return f"{path!r} is not a dotted field path"
        for family in self.families:
            if path.startswith(family.prefix):
                return self._family_field(family, path[len(family.prefix) :])
            if path + "." == family.prefix:
                return f"{path} needs a {family.key_name}: {family.prefix}<{family.key_name}>"
        return self._unknown(path)

    def _family_field(self, family: FieldFamily, key: str) -> Field | str:
        keys = self.family_keys(family)
        labels = {str(choice.value): choice.label for choice in keys}
        if family.closed_keys or family.event_type_keys:
            if key not in labels:
                choices = ", ".join(sorted(labels))
                name = family.prefix + key
                return f"unknown {family.key_name} {key!r} in {name}; use one of: {choices}"
        elif "." in key or not family.key_pattern.fullmatch(key):
            return family.key_hint or f"{family.prefix}{key} is not a {family.key_name}"
        return family.field(key, labels.get(key))

    def _unknown(self, path: str) -> str:
        # Compared without the shared namespace, which would make every path look close.
        namespace, _, rest = path.partition(".")
        candidates = {
            item.path.partition(".")[2]: item.path
            for item in self.fields
            if not item.hidden and item.source == namespace
        }
        close = difflib.get_close_matches(rest, candidates, n=1, cutoff=_SUGGESTION_CUTOFF)
        hint = f" (did you mean {candidates[close[0]]}?)" if close else ""
        return f"unknown field {path}{hint}"

    def concrete_fields(self) -> tuple[Field, ...]:
        """Every fixed field and every family field with a known key, for tests and docs."""
        family_fields = tuple(
            family.field(str(choice.value), choice.label)
            for family in self.families
            for choice in self.family_keys(family)
        )
        return (*self.fields, *family_fields)

    def event_property(self, path: str, event_type: str) -> EventProperty | None:
        for item in self.event_properties:
            if item.path == path and (not item.event_types or event_type in item.event_types):
                return item
        return None

    def as_json(
        self, *, key_suggestions: Mapping[str, Iterable[str]] | None = None
    ) -> dict[str, Any]:
        """The registry for the builder and the API: groups, fields offered (not hidden),
        families with their known keys (plus ``key_suggestions`` by prefix, such as the
        catalog's categories), event types and known event properties."""
        suggestions = key_suggestions or {}

        def family_keys(family: FieldFamily) -> list[Choice]:
            keys = list(self.family_keys(family))
            seen = {str(choice.value) for choice in keys}
            for key in suggestions.get(family.prefix, ()):
                if key not in seen:
                    keys.append(Choice(key, key))
                    seen.add(key)
            return keys

        return {
            "groups": list(GROUPS),
            "fields": [item.as_json() for item in self.fields if not item.hidden],
            "families": [family.as_json(family_keys(family)) for family in self.families],
            "event_types": [{"value": c.value, "label": c.label} for c in self.event_types],
            "event_properties": [item.as_json() for item in self.event_properties],
        }
