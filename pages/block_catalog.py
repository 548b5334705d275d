"""Personalized blocks compiled into placement configs, so `decide` chooses their variants
with the same targeting, experiments and rendering as shared placements.

A page rendering itself compiles the blocks it holds (no query); `POST /decide` with
`block:<page id>:<block id>` keys loads the live pages once per configuration version
(publishing a page bumps it)."""

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from content.placement_catalog import PlacementConfig
from content.targeting import VariantTarget, ordered
from segments.conditions import InvalidRule, compile_rule
from segments.field_registry import current_registry
from tracking.rule_fields import FieldRegistry

logger = logging.getLogger(__name__)
BLOCK_PREFIX = "block:"
FALLBACK_KEY = "default"
MAX_PAGES = 5000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def block_key(page_id: int, block_id: str) -> str:
    return f"{BLOCK_PREFIX}{page_id}:{block_id}"


@dataclass(frozen=True)
class InlineContent:
    """A variant's inline content, shaped like a `content.Component` for rendering and the
    fragment cache (`pk` and `live_revision_id` make the cache key)."""

    pk: str
    key: str
    body: Any  # a StreamValue with one component block
    live_revision_id: int | None
    updated_at: datetime

    @property
    def kind(self) -> str:
        return self.body[0].block_type if len(self.body) else ""


def audience_rule(audience: Any) -> dict[str, Any] | None:
    """The context condition of an audience in the rule language (device, countries)."""
    from pages.blocks import parse_countries

    leaves: list[dict[str, Any]] = []
    if audience.get("device"):
        leaves.append({"field": "context.device", "op": "eq", "value": audience["device"]})
    countries = parse_countries(audience.get("countries") or "") or []
    if countries:
        leaves.append({"field": "context.country", "op": "in", "value": countries})
    if not leaves:
        return None
    return leaves[0] if len(leaves) == 1 else {"all": leaves}


def compile_block(
    page: Any, child: Any, *, registry: FieldRegistry | None = None
) -> PlacementConfig:
    """One personalized block of `page` (a StreamField child) as a placement config."""
    registry = registry or current_registry()
    key = block_key(page.pk, child.id)
    value = child.value
    revision = getattr(page, "live_revision_id", None)
    updated = page.last_published_at or page.latest_revision_created_at or EPOCH
    variants: list[VariantTarget] = []
    components: dict[int, dict[str, Any]] = {}

    def content(number: int, variant_key: str, body: Any) -> None:
        components[number] = {
            "*": InlineContent(
                pk=f"{key}:{variant_key}",
                key=f"{value.get('name') or 'block'}:{variant_key}",
                body=body,
                live_revision_id=revision,
                updated_at=updated,
            )
        }

    for order, variant in enumerate(value["variants"]):
        if not len(variant["content"]):
            continue
        audience = variant["audience"]
        rule = audience_rule(audience)
        variants.append(
            VariantTarget(
                key=variant["key"],
                component_id=order + 1,
                priority=100,
                order=order,
                is_fallback=False,
                segments_any=frozenset(audience.get("segments_any") or ()),
                segments_all=frozenset(audience.get("segments_all") or ()),
                segments_none=frozenset(audience.get("segments_none") or ()),
                context_rule=_compiled(rule, registry, key) if rule else None,
                starts_at=audience.get("starts_at"),
                ends_at=audience.get("ends_at"),
            )
        )
        content(order + 1, variant["key"], variant["content"])
    if len(value["fallback"]):
        variants.append(VariantTarget(FALLBACK_KEY, 0, 0, len(variants), True))
        content(0, FALLBACK_KEY, value["fallback"])
    return PlacementConfig(
        key=key,
        name=value.get("name") or key,
        variants=ordered(variants),
        components=components,
    )


def _never(facts: object) -> bool:
    return False


def _compiled(rule: dict[str, Any], registry: FieldRegistry, key: str) -> Any:
    """A variant's compiled audience; one the field registry no longer accepts fails
    closed (the variant is not shown) rather than breaking the page."""
    try:
        return compile_rule(rule, registry=registry)
    except InvalidRule as error:
        logger.error("a variant of %s is never shown: its audience is not valid: %s", key, error)
        return _never


def page_blocks(page: Any, bodies: list[Any] | None = None) -> dict[str, PlacementConfig]:
    """The personalized blocks of a page (live or a draft being previewed) by key, and of
    the other `bodies` served at its URL (its page variants)."""
    registry = current_registry()
    return {
        block_key(page.pk, child.id): compile_block(page, child, registry=registry)
        for body in [page.body, *(bodies or [])]
        for child in body
        if child.block_type == "personalized"
    }


class _LivePageBlocks:
    """Live pages' blocks per process, dropped when the configuration version changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: Any = object()
        self._pages: dict[int, dict[str, PlacementConfig]] = {}

    def resolve(self, keys: list[str], version: Any) -> dict[str, PlacementConfig]:
        from pages.page_variants import live_variant_bodies
        from pages.selectors import live_pages_by_id

        page_ids = {_page_id(key) for key in keys} - {None}
        with self._lock:
            # Unknown ids are remembered too (as empty), so bound what a caller can fill.
            if version is None or version != self._version or len(self._pages) > MAX_PAGES:
                self._version, self._pages = version, {}
            wanted = [pid for pid in page_ids if pid not in self._pages]
        if wanted:
            loaded = live_pages_by_id(wanted)  # type: ignore[arg-type]
            with self._lock:
                for pid in wanted:
                    page = loaded.get(pid)  # type: ignore[arg-type]
                    self._pages[pid] = (  # type: ignore[index]
                        page_blocks(page, live_variant_bodies(pid, version))  # type: ignore[arg-type]
                        if page is not None
                        else {}
                    )
        found: dict[str, PlacementConfig] = {}
        for key in keys:
            config = self._pages.get(_page_id(key), {}).get(key)  # type: ignore[arg-type]
            if config is not None:
                found[key] = config
        return found

    def clear(self) -> None:
        with self._lock:
            self._version, self._pages = object(), {}


def _page_id(key: str) -> int | None:
    parts = key.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return int(parts[1])


live_page_blocks = _LivePageBlocks()


def block_variant_keys(key: str) -> set[str] | None:
    """The variant keys of a live personalized block (experiments check arms with them),
    or None when no live page has it."""
    from django.core.cache import cache

    from core.config_version import CONFIG_VERSION_KEY, ensure_version

    config = live_page_blocks.resolve([key], ensure_version(cache.get(CONFIG_VERSION_KEY))).get(key)
    return {variant.key for variant in config.variants} if config else None
