"""Placements that live outside the placement catalog, such as the personalized blocks of
Wagtail pages (`block:<page id>:<block id>`, API.md). A higher app registers a resolver
for its key prefix in its AppConfig.ready(); `decide` asks it only for keys the catalog
does not hold, all at once, so a page's blocks cost one lookup."""

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError

from content.placement_catalog import PlacementConfig

logger = logging.getLogger(__name__)
# (keys with the prefix, config version) -> the configs of the keys it knows
Resolver = Callable[[list[str], Any], dict[str, PlacementConfig]]
_resolvers: dict[str, Resolver] = {}


def register_placement_source(prefix: str, resolver: Resolver) -> None:
    """Resolve placement keys starting with `prefix` (e.g. "block:") with `resolver`."""
    _resolvers[prefix] = resolver


def external_placements(keys: list[str], version: Any) -> dict[str, PlacementConfig]:
    """The configs of `keys` from their registered sources; unknown keys are left out
    (decide answers them with None) and an outage of a source leaves its keys out."""
    found: dict[str, PlacementConfig] = {}
    for prefix, resolver in _resolvers.items():
        mine = [key for key in keys if key.startswith(prefix)]
        if not mine:
            continue
        try:
            found.update(resolver(mine, version))
        except DatabaseError:
            logger.warning("placements %s unavailable", prefix, exc_info=True)
    return found
