"""One version number for everything a decision compiles (segments, placements,
experiments): bumped on every published change, read with the request's other cache keys,
and used to rebuild per-process compiled catalogs."""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.db import DatabaseError

CONFIG_VERSION_KEY = "pz:config-version"
# With no version readable (the cache is down), catalogs are re-read this often.
MAX_AGE_WITHOUT_VERSION = 30.0
logger = logging.getLogger(__name__)
CatalogT = TypeVar("CatalogT")


def bump_config_version() -> None:
    # Random, not a timestamp: a frozen or travelling clock could repeat one.
    cache.set(CONFIG_VERSION_KEY, secrets.randbits(63), None)


def ensure_version(cached: object) -> object:
    """The version read from the cache, or a fresh one stored now when the key is missing
    (evicted or cleared), so compiled catalogs never outlive an unknown change. Returns
    None only when the cache is unreachable; callers then re-read periodically."""
    if cached is not None:
        return cached
    cache.add(CONFIG_VERSION_KEY, secrets.randbits(63), None)
    return cache.get(CONFIG_VERSION_KEY)


class CompiledCatalog(Generic[CatalogT]):
    """A per-process catalog compiled from the database (segments, placements,
    experiments): rebuilt when the config version changes, or every
    MAX_AGE_WITHOUT_VERSION seconds when no version can be read. A rebuild that fails on
    the database keeps serving the last catalog; with none yet, the error propagates."""

    def __init__(self, name: str, load: Callable[[Any], CatalogT]) -> None:
        self.name = name
        self._load = load
        self._lock = threading.Lock()
        self._current: tuple[Any, float, CatalogT] | None = None

    def get(self, version: Any) -> CatalogT:
        current = self._current
        if current is not None:
            loaded_version, loaded_at, catalog = current
            expired = version is None and time.monotonic() - loaded_at > MAX_AGE_WITHOUT_VERSION
            if loaded_version == version and not expired:
                return catalog
        with self._lock:
            try:
                catalog = self._load(version)
            except DatabaseError:
                if current is None:
                    raise
                logger.warning("%s could not be reloaded; serving the last one", self.name)
                return current[2]
            self._current = (version, time.monotonic(), catalog)
        return catalog

    def latest(self) -> CatalogT | None:
        """The last compiled catalog, whatever its version (for read-ahead hints only)."""
        current = self._current
        return current[2] if current else None

    def clear(self) -> None:
        self._current = None
