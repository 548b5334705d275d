"""One customer record from the CRM, checked against the attribute definitions: from a
`PUT /customers` item or from a CSV row with its column mapping. Reads nothing, writes
nothing; `tracking.services` stores what passes."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.client_input import INVALID_TEXT, find_unstorable, invalid_text
from tracking.definitions import (
    AttributeSpec,
    attribute_value_error,
    parse_attribute_text,
)

MAX_CUSTOMER_ID = 128
MAX_NAME = 100
CUSTOMER_ID = "customer_id"
# Personal data kept with the attributes; rules may only ask whether it is on file.
PERSONAL_FIELDS = ("email", "first_name")
REGISTER_ATTRIBUTE_HINT = "define it with POST /api/v1/attributes or in the admin"


@dataclass(slots=True)
class CustomerRecord:
    customer_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


def _customer_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("is required (1 to 128 characters)")
    text = str(value).strip()
    if not text or len(text) > MAX_CUSTOMER_ID:
        raise ValueError("is required (1 to 128 characters)")
    if invalid_text(text):
        raise ValueError(INVALID_TEXT)
    return text


def _personal(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 254:
        raise ValueError("must be text of 1 to 254 characters")
    value = value.strip()
    if invalid_text(value):
        raise ValueError(INVALID_TEXT)
    if name == "email":
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(f"is not an email address (got {value[:40]!r})") from None
    elif len(value) > MAX_NAME:
        raise ValueError(f"is longer than {MAX_NAME} characters")
    return value


def customer_item(item: object, specs: Mapping[str, AttributeSpec]) -> CustomerRecord | dict:
    """A `PUT /customers` item as a record, or its errors by field (`attributes.tier`).
    A null attribute value removes it."""
    if not isinstance(item, dict):
        return {"customer": "must be an object"}
    unstorable = find_unstorable(item, path="")
    if unstorable is not None:
        return {unstorable[0].lstrip(".") or "customer": unstorable[1]}
    errors: dict[str, str] = {}
    unknown = sorted(set(item) - {CUSTOMER_ID, "attributes", *PERSONAL_FIELDS})
    if unknown:
        errors["customer"] = f"unknown fields: {', '.join(name[:40] for name in unknown[:5])}"
    customer_id = ""
    try:
        customer_id = _customer_id(item.get(CUSTOMER_ID))
    except ValueError as exc:
        errors[CUSTOMER_ID] = str(exc)
    attributes: dict[str, Any] = {}
    for name in PERSONAL_FIELDS:
        if item.get(name) is not None:
            try:
                attributes[name] = _personal(name, item[name])
            except ValueError as exc:
                errors[name] = str(exc)
    raw = item.get("attributes") or {}
    if not isinstance(raw, dict):
        errors["attributes"] = "must be an object"
        raw = {}
    for key, value in raw.items():
        spec = specs.get(key) if key not in PERSONAL_FIELDS else None
        if spec is None:
            errors[f"attributes.{str(key)[:64]}"] = (
                f"not a defined attribute; {REGISTER_ATTRIBUTE_HINT}"
            )
            continue
        if value is None:
            attributes[key] = None
            continue
        problem = attribute_value_error(spec, value)
        if problem:
            errors[f"attributes.{key}"] = problem
        else:
            attributes[key] = value
    if errors:
        return errors
    return CustomerRecord(customer_id=customer_id, attributes=attributes)


def csv_record(
    row: Mapping[str, str | None],
    mapping: Mapping[str, str],
    specs: Mapping[str, AttributeSpec],
) -> CustomerRecord:
    """A CSV row as a record; `mapping` is column -> target (customer_id, email,
    first_name or an attribute key). Empty cells are left out. Raises ValueError with
    the reason, naming the column."""
    record = CustomerRecord(customer_id="")
    for column, target in mapping.items():
        text = (row.get(column) or "").strip()
        if target == CUSTOMER_ID:
            try:
                record.customer_id = _customer_id(text)
            except ValueError as exc:
                raise ValueError(f"{CUSTOMER_ID} {exc}") from None
        elif not text:
            continue
        elif target in PERSONAL_FIELDS:
            try:
                record.attributes[target] = _personal(target, text)
            except ValueError as exc:
                raise ValueError(f"{column} {exc}") from None
        else:
            if invalid_text(text):
                raise ValueError(f"{column} {INVALID_TEXT}")
            try:
                record.attributes[target] = parse_attribute_text(specs[target], text)
            except ValueError as exc:
                raise ValueError(f"{column} {exc} (got {text[:40]!r})") from None
    if not record.customer_id:
        raise ValueError(f"{CUSTOMER_ID} is required (1 to 128 characters)")
    return record


def automatic_mapping(columns: list[str], specs: Mapping[str, AttributeSpec]) -> dict[str, str]:
    """Columns named like a target (any case, spaces around) map to it; others are left out."""
    targets = {CUSTOMER_ID, *PERSONAL_FIELDS, *specs}
    mapping = {}
    for column in columns:
        name = column.strip().lstrip("\ufeff").lower()
        if name in targets and name not in mapping.values():
            mapping[column] = name
    return mapping
