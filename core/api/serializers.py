"""Serializer helpers of the public API's hot paths."""

import copy
from typing import Any


class ShallowFieldsMixin:
    """Give each serializer instance shallow copies of the declared fields instead of
    DRF's deep copies, which re-run every field's `__init__` (validators included): half
    of `POST /api/v1/decide`'s input validation, ~0.4 ms a request (docs/scaling.md).

    Only for serializers whose declared fields are plain: binding sets the name, parent,
    label and source on the copy; what the copies share (validators, error messages, a
    list field's child) is only read while validating, so concurrent requests are safe.
    Not for fields that keep state per instance (e.g. a `SerializerMethodField`, whose
    bind writes to the field)."""

    _declared_fields: dict[str, Any]

    def get_fields(self) -> dict[str, Any]:
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}
