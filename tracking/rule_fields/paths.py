"""Dotted paths into nested JSON objects: ``rfm.recency_days`` -> ``obj["rfm"]["recency_days"]``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def split_path(path: str) -> tuple[str, ...]:
    """Split a validated dotted path into its keys."""
    return tuple(path.split("."))


def resolve_path(container: Any, keys: tuple[str, ...]) -> Any:
    """Follow ``keys`` through nested mappings; ``None`` when any step is missing.

    Lists are not indexed: a path names object keys only, as a SQL ``#>`` path would.
    """
    value = container
    for key in keys:
        if type(value) is dict or isinstance(value, Mapping):
            value = value.get(key)
            if value is None:
                return None
        else:
            return None
    return value
