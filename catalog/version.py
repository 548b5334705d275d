"""The catalog version: a random number in the shared cache, bumped after every committed
catalog change, so every process re-reads stock and removals on its next request instead
of at its next periodic check."""

import secrets

from django.core.cache import cache

from core import cache_reads

CATALOG_VERSION_KEY = "pz:catalog-version"


def bump_catalog_version() -> None:
    # Random, not a timestamp: a pinned or travelling clock could repeat one.
    cache.set(CATALOG_VERSION_KEY, secrets.randbits(63), None)


def catalog_version() -> int | None:
    """The current version (a fresh one is stored when the key was evicted); None when
    the cache is unreachable, and callers then fall back to their periodic check."""
    version = cache_reads.get(CATALOG_VERSION_KEY)
    if version is None:
        cache.add(CATALOG_VERSION_KEY, secrets.randbits(63), None)
        version = cache.get(CATALOG_VERSION_KEY)
    return version
