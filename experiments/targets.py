"""Experiment targets besides shared placements, such as the personalized blocks of
Wagtail pages (`block:<page id>:<block id>`). A higher app registers, in its
AppConfig.ready(), a function giving the variant keys a target key has (None when there
is no such target), so arms can be checked against them."""

from collections.abc import Callable

VariantKeys = Callable[[str], set[str] | None]
_sources: dict[str, VariantKeys] = {}


def register_target_source(prefix: str, variant_keys: VariantKeys) -> None:
    _sources[prefix] = variant_keys


def target_variant_keys(key: str) -> set[str] | None:
    """The variant keys of a non-placement target, or None if no source knows it."""
    for prefix, variant_keys in _sources.items():
        if key.startswith(prefix):
            return variant_keys(key)
    return None
