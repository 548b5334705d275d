"""Experiment targets besides shared placements, such as the personalized blocks of
Wagtail pages (`block:<page id>:<block id>`). A higher app registers, in its
AppConfig.ready(), a function giving the variant keys a target key has (None when there
is no such target), so arms can be checked against them, and may register how a winning
arm is promoted (else promotion is refused)."""

from collections.abc import Callable
from typing import Any

VariantKeys = Callable[[str], set[str] | None]
# (target key, winning variant key, user) -> what now shows the winner (for messages).
Promote = Callable[[str, str, Any], Any]
_sources: dict[str, VariantKeys] = {}
_promoters: dict[str, Promote] = {}


def register_target_source(prefix: str, variant_keys: VariantKeys) -> None:
    _sources[prefix] = variant_keys


def target_variant_keys(key: str) -> set[str] | None:
    """The variant keys of a non-placement target, or None if no source knows it."""
    for prefix, variant_keys in _sources.items():
        if key.startswith(prefix):
            return variant_keys(key)
    return None


def register_target_promoter(prefix: str, promote: Promote) -> None:
    _promoters[prefix] = promote


def target_promoter(key: str) -> Promote | None:
    """How a winner on this target is promoted, or None when it is done by hand."""
    return next((p for prefix, p in _promoters.items() if key.startswith(prefix)), None)
