"""The shop's own event types and customer attributes: their writes, the per-process copy
the ingest path reads (rebuilt once per configuration version, never a query per
request) and the field provider that shows them to rules, triggers and the rule builder
(`settings.PZ_RULE_FIELD_PROVIDERS`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction

from core.audit import record_change, snapshot
from core.config_version import (
    CONFIG_VERSION_KEY,
    CompiledCatalog,
    bump_config_version,
    ensure_version,
)
from tracking.event_validation import (
    CUSTOM_EVENT_TYPE_RE,
    CUSTOM_PROPERTY_RE,
    EVENT_TYPES,
    MAX_PROPERTIES,
    PROPERTY_TYPES,
)
from tracking.models import AttributeDefinition, EventTypeDefinition
from tracking.rule_fields import (
    BUILTIN_REGISTRY,
    Choice,
    EventProperty,
    Extension,
    attribute_field,
)

ATTRIBUTE_KEY_MAX = 64
# `PUT /customers` carries these as its own fields; rules may only test their presence.
PERSONAL_ATTRIBUTES = frozenset({"email", "first_name"})
MAX_CHOICES = 200
MAX_CHOICE_LENGTH = 100
EVENT_TYPE_AUDIT = ("name", "label", "properties")
ATTRIBUTE_AUDIT = ("key", "type", "label", "choices")


class DefinitionError(ValueError):
    """A refused definition: `fields` names what is wrong; `conflict` when the name is
    taken (409) rather than malformed (400)."""

    def __init__(self, message: str, fields: dict[str, str], *, conflict: bool = False):
        super().__init__(message)
        self.fields = fields
        self.conflict = conflict


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    key: str
    type: str
    label: str
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Definitions:
    """What ingest and the importers check against: custom event types by name (their
    property types) and every customer attribute by key (built-in CRM columns too)."""

    event_types: Mapping[str, Mapping[str, str]]
    attributes: Mapping[str, AttributeSpec]


def builtin_attributes() -> dict[str, AttributeSpec]:
    """The CRM columns pz knows without any definition (`tracking.rule_fields`)."""
    return {
        item.path.removeprefix("attributes."): AttributeSpec(
            key=item.path.removeprefix("attributes."),
            type=item.type,
            label=item.label,
            choices=tuple(choice.value for choice in item.choices) if item.closed else (),
        )
        for item in BUILTIN_REGISTRY.fields
        if item.source == "attributes"
    }


def _load(version: Any) -> Definitions:
    attributes = builtin_attributes()
    for row in AttributeDefinition.objects.all():
        attributes[row.key] = AttributeSpec(
            key=row.key, type=row.type, label=row.label or row.key, choices=tuple(row.choices)
        )
    return Definitions(
        event_types={row.name: dict(row.properties) for row in EventTypeDefinition.objects.all()},
        attributes=attributes,
    )


_definitions = CompiledCatalog("event types and attributes", _load)


def current_definitions() -> Definitions:
    """The definitions now: one cache read for the configuration version; the database
    only when the version changed."""
    return _definitions.get(ensure_version(cache.get(CONFIG_VERSION_KEY)))


def forget_definitions() -> None:
    """Drop this process's copy (tests)."""
    _definitions.clear()


def _published() -> None:
    # At once for this process, again on commit for the others (they must not cache
    # what they read before the commit under the new version).
    bump_config_version()
    transaction.on_commit(bump_config_version)


# --- event types -----------------------------------------------------------------------


def _property_schema(properties: object) -> dict[str, str]:
    if not isinstance(properties, dict):
        raise DefinitionError("properties must be an object.", {"properties": "must be an object"})
    if len(properties) > MAX_PROPERTIES:
        raise DefinitionError(
            "Too many properties.", {"properties": f"at most {MAX_PROPERTIES} properties"}
        )
    errors = {}
    for name, kind in properties.items():
        if not CUSTOM_PROPERTY_RE.fullmatch(name):
            errors[f"properties.{name[:64]}"] = "a name is a letter then letters, digits or _"
        elif kind not in PROPERTY_TYPES:
            errors[f"properties.{name}"] = f"type must be one of {', '.join(PROPERTY_TYPES)}"
    if errors:
        raise DefinitionError("Invalid property schema.", errors)
    return dict(properties)


def event_type_register(
    *, name: str, properties: object, label: str = "", user: Any = None
) -> EventTypeDefinition:
    """Register a custom event type: events of it are accepted from the next request on."""
    if not isinstance(name, str) or not CUSTOM_EVENT_TYPE_RE.fullmatch(name):
        raise DefinitionError(
            "Invalid event type name.",
            {"name": "2 to 32 characters: a lower-case letter, then a-z, 0-9 or _"},
        )
    if name in EVENT_TYPES:
        raise DefinitionError(
            "A built-in event type has this name.", {"name": "is a built-in type"}, conflict=True
        )
    schema = _property_schema(properties)
    try:
        with transaction.atomic():
            definition = EventTypeDefinition.objects.create(
                name=name, label=(label or "")[:100], properties=schema
            )
    except IntegrityError:
        raise DefinitionError(
            "This event type is registered.", {"name": "already exists"}, conflict=True
        ) from None
    record_change(
        instance=definition,
        action="wagtail.create",
        user=user,
        after=snapshot(definition, EVENT_TYPE_AUDIT),
    )
    _published()
    return definition


def event_type_update(
    *, definition: EventTypeDefinition, properties: object, label: str = "", user: Any = None
) -> EventTypeDefinition:
    """Change a custom type's label or properties (the admin's edit form)."""
    before = snapshot(EventTypeDefinition.objects.get(pk=definition.pk), EVENT_TYPE_AUDIT)
    definition.properties = _property_schema(properties)
    definition.label = (label or "")[:100]
    definition.save()
    record_change(
        instance=definition,
        action="wagtail.edit",
        user=user,
        before=before,
        after=snapshot(definition, EVENT_TYPE_AUDIT),
    )
    _published()
    return definition


def event_type_delete(*, definition: EventTypeDefinition, user: Any = None) -> None:
    """Stop accepting the type; stored events of it are kept."""
    record_change(
        instance=definition,
        action="wagtail.delete",
        user=user,
        before=snapshot(definition, EVENT_TYPE_AUDIT),
        deleted=True,
    )
    definition.delete()
    _published()


def builtin_event_schemas() -> dict[str, dict[str, str]]:
    """The documented properties of each built-in type, as `GET /event-types` lists them."""
    schemas: dict[str, dict[str, str]] = {str(c.value): {} for c in BUILTIN_REGISTRY.event_types}
    for item in BUILTIN_REGISTRY.event_properties:
        if "." in item.path:
            continue
        for event_type in item.event_types or tuple(schemas):
            schemas[event_type][item.path] = item.type or "string"
    schemas["purchase"]["items"] = "list"  # of order lines (product_id, price, quantity)
    return schemas


# --- customer attributes ---------------------------------------------------------------


def _choices(kind: str, choices: object) -> list[Any]:
    if choices in (None, ""):
        return []
    if not isinstance(choices, list) or len(choices) > MAX_CHOICES:
        raise DefinitionError(
            "choices must be a list.", {"choices": f"a list of at most {MAX_CHOICES} values"}
        )
    if kind not in ("string", "number"):
        if choices:
            raise DefinitionError(
                "Only text and number attributes have choices.", {"choices": "not for " + kind}
            )
        return []
    cleaned = []
    for position, value in enumerate(choices):
        problem = attribute_value_error(AttributeSpec("x", kind, "x"), value)
        if problem or (isinstance(value, str) and not 0 < len(value) <= MAX_CHOICE_LENGTH):
            raise DefinitionError(
                "Invalid choice.", {f"choices[{position}]": problem or "1 to 100 characters"}
            )
        cleaned.append(value)
    return cleaned


def attribute_define(
    *,
    key: str,
    type: str,
    label: str = "",
    choices: object = None,
    replace: bool = False,
    user: Any = None,
) -> AttributeDefinition:
    """Define a customer attribute (or redefine one of the built-in CRM columns): rules
    read it typed and the importers check values against it. `replace` updates an
    existing definition (the admin's edit); without it an existing key is a conflict."""
    if not isinstance(key, str) or not CUSTOM_PROPERTY_RE.fullmatch(key):
        raise DefinitionError(
            "Invalid attribute key.", {"key": "a letter, then letters, digits or _ (64 at most)"}
        )
    if key in PERSONAL_ATTRIBUTES:
        raise DefinitionError(
            "This attribute is built in.", {"key": "is personal data pz keeps apart"}, conflict=True
        )
    if type not in PROPERTY_TYPES:
        raise DefinitionError("Invalid type.", {"type": f"one of {', '.join(PROPERTY_TYPES)}"})
    values = _choices(type, choices)
    with transaction.atomic():
        existing = AttributeDefinition.objects.select_for_update().filter(key=key).first()
        if existing is not None and not replace:
            raise DefinitionError(
                "This attribute is defined.", {"key": "already exists"}, conflict=True
            )
        before = snapshot(existing, ATTRIBUTE_AUDIT) if existing else None
        definition = existing or AttributeDefinition(key=key)
        definition.type = type
        definition.label = (label or "")[:100]
        definition.choices = values
        definition.save()
        record_change(
            instance=definition,
            action="wagtail.edit" if existing else "wagtail.create",
            user=user,
            before=before,
            after=snapshot(definition, ATTRIBUTE_AUDIT),
        )
    _published()
    return definition


def attribute_delete(*, definition: AttributeDefinition, user: Any = None) -> None:
    """Forget a definition; stored values stay in the profiles."""
    record_change(
        instance=definition,
        action="wagtail.delete",
        user=user,
        before=snapshot(definition, ATTRIBUTE_AUDIT),
        deleted=True,
    )
    definition.delete()
    _published()


def attribute_value_error(spec: AttributeSpec, value: object) -> str | None:
    """Why `value` does not fit the attribute, or None."""
    if spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if value != value or abs(value) > 2**53:  # NaN, or beyond exact JSON numbers
            return "must be a finite number"
    elif spec.type == "boolean":
        if not isinstance(value, bool):
            return "must be true or false"
    elif spec.type == "date":
        from datetime import date

        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            return "must be a date such as 2026-12-24"
    else:
        if not isinstance(value, str) or not value or len(value) > MAX_CHOICE_LENGTH:
            return f"must be text of 1 to {MAX_CHOICE_LENGTH} characters"
    if spec.choices and value not in spec.choices:
        return "must be one of " + ", ".join(str(choice) for choice in spec.choices)
    return None


def parse_attribute_text(spec: AttributeSpec, text: str) -> object:
    """A CSV cell as the attribute's typed value (raises ValueError saying why)."""
    text = text.strip()
    value: object = text
    if spec.type == "number":
        try:
            value = int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            raise ValueError("must be a number") from None
    elif spec.type == "boolean":
        lowered = text.lower()
        if lowered in {"true", "yes", "1", "y"}:
            value = True
        elif lowered in {"false", "no", "0", "n"}:
            value = False
        else:
            raise ValueError("must be yes/no or true/false")
    elif spec.type == "string" and spec.choices:
        # Spreadsheets capitalise; the defined choice is what is stored.
        by_lower = {str(choice).lower(): choice for choice in spec.choices}
        value = by_lower.get(text.lower(), text)
    problem = attribute_value_error(spec, value)
    if problem:
        raise ValueError(problem)
    return value


# --- the field provider ----------------------------------------------------------------


def rule_field_extension() -> Extension:
    """The custom event types (with their properties) and attribute definitions as rule
    fields; `segments.field_registry` calls this once per configuration version."""
    fields = []
    for row in AttributeDefinition.objects.all():
        fields.append(
            attribute_field(
                row.key,
                row.type,
                row.label or row.key.replace("_", " ").capitalize(),
                choices=tuple(Choice(value, str(value)) for value in row.choices),
                closed=bool(row.choices),
            )
        )
    event_types = []
    event_properties = []
    for row in EventTypeDefinition.objects.all():
        event_types.append(Choice(row.name, row.label or row.name.replace("_", " ").capitalize()))
        for name, kind in sorted(row.properties.items()):
            event_properties.append(
                EventProperty(name, name.replace("_", " ").capitalize(), kind, (row.name,))
            )
    return Extension(
        fields=tuple(fields),
        event_types=tuple(event_types),
        event_properties=tuple(event_properties),
    )
