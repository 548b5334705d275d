"""Published placements compiled for decisions, held per process and rebuilt when the
configuration version changes. The last good catalog keeps serving if the database is
unreachable, so pages degrade to fallback content instead of failing."""

import logging
from dataclasses import dataclass
from typing import Any

from content.models import Component, Placement
from content.targeting import VariantTarget, ordered
from core.config_version import CompiledCatalog
from segments.conditions import CompiledRule, InvalidRule, compile_rule
from segments.field_registry import registry_for
from tracking.rule_fields import FieldRegistry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlacementConfig:
    key: str
    name: str
    variants: tuple[VariantTarget, ...]
    # component id -> {locale code: Component}, published translations only
    components: dict[int, dict[str, Component]]


@dataclass
class PlacementCatalog:
    version: Any
    placements: dict[str, PlacementConfig]


def _load(version: Any) -> PlacementCatalog:
    registry = registry_for(version)
    placements = (
        Placement.objects.filter(live=True)
        .prefetch_related(
            "variants__segments_any", "variants__segments_all", "variants__segments_none"
        )
        .order_by("key")
    )
    configs: dict[str, PlacementConfig] = {}
    component_ids: set[int] = set()
    for placement in placements:
        variants = []
        for order, variant in enumerate(placement.variants.all()):
            component_ids.add(variant.component_id)
            variants.append(
                VariantTarget(
                    key=variant.key,
                    component_id=variant.component_id,
                    priority=variant.priority,
                    order=order,
                    is_fallback=variant.is_fallback,
                    segments_any=frozenset(s.key for s in variant.segments_any.all()),
                    segments_all=frozenset(s.key for s in variant.segments_all.all()),
                    segments_none=frozenset(s.key for s in variant.segments_none.all()),
                    context_rule=_context_rule(variant, registry),
                    starts_at=variant.starts_at,
                    ends_at=variant.ends_at,
                )
            )
        configs[placement.key] = PlacementConfig(
            key=placement.key, name=placement.name, variants=ordered(variants), components={}
        )
    translations: dict[int, dict[str, Component]] = {}
    by_translation_key: dict[Any, int] = {}
    components = list(Component.objects.filter(pk__in=component_ids).select_related("locale"))
    for component in components:
        by_translation_key[component.translation_key] = component.pk
        translations[component.pk] = {component.locale.language_code: component}
    for translation in Component.objects.filter(
        translation_key__in=by_translation_key, live=True
    ).select_related("locale"):
        source = by_translation_key[translation.translation_key]
        translations[source].setdefault(translation.locale.language_code, translation)
    for config in configs.values():
        config.components.update(
            {v.component_id: translations.get(v.component_id, {}) for v in config.variants}
        )
    return PlacementCatalog(version=version, placements=configs)


def _never(facts: object) -> bool:
    return False


def _context_rule(variant: Any, registry: FieldRegistry) -> CompiledRule | None:
    """The variant's compiled context rule. A stored rule the field registry no longer
    accepts fails closed (the variant is not shown) and is logged, rather than taking
    every placement down; editing the variant reports the error by node path."""
    if not variant.context_rule:
        return None
    try:
        return compile_rule(variant.context_rule, registry=registry)
    except InvalidRule as error:
        logger.error("variant %s is never shown: its context rule is not valid: %s", variant, error)
        return _never


_catalog = CompiledCatalog("placements", _load)


def placement_catalog(version: Any) -> PlacementCatalog:
    """The compiled published placements for this configuration version."""
    return _catalog.get(version)


def component_for_locale(
    config: PlacementConfig, variant: VariantTarget, locale: str
) -> Component | None:
    """The component translation in `locale`, else the source language version."""
    translations = config.components.get(variant.component_id) or {}
    if locale in translations:
        return translations[locale]
    base = locale.split("-")[0]
    if base in translations:
        return translations[base]
    return next(iter(translations.values()), None)
