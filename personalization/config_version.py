"""One version number for everything a decision compiles (segments, placements,
experiments): bumped on every published change, read with the request's other cache keys,
and used to rebuild per-process compiled catalogs."""

import time

from django.core.cache import cache

CONFIG_VERSION_KEY = "pz:config-version"


def bump_config_version() -> None:
    cache.set(CONFIG_VERSION_KEY, time.time_ns(), None)


def ensure_version(cached: object) -> object:
    """The version read from the cache, or a fresh one stored now when the key is missing
    (evicted or cleared), so compiled catalogs never outlive an unknown change. Returns
    None only when the cache is unreachable; callers then re-read periodically."""
    if cached is not None:
        return cached
    cache.add(CONFIG_VERSION_KEY, time.time_ns(), None)
    return cache.get(CONFIG_VERSION_KEY)
