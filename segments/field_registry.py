"""The field registry a running pz uses: the built-in fields (`tracking.rule_fields`) plus
what the configured field providers add (custom customer attributes, custom event
types), rebuilt once per configuration version so validation, both evaluators, the rule
builder and the API all see the same set.

A provider is a function returning a `tracking.rule_fields.Extension`, named by its
dotted path in `settings.PZ_RULE_FIELD_PROVIDERS`; whatever changes its definitions
bumps the configuration version (`core.config_version.bump_config_version`).
"""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

from core.config_version import CONFIG_VERSION_KEY, CompiledCatalog, ensure_version
from tracking.rule_fields import BUILTIN_REGISTRY, FieldProvider, FieldRegistry


def _providers() -> list[FieldProvider]:
    return [import_string(path) for path in settings.PZ_RULE_FIELD_PROVIDERS]


def _load(version: Any) -> FieldRegistry:
    registry = BUILTIN_REGISTRY
    for provider in _providers():
        registry = registry.extended(provider())
    return registry


_registries = CompiledCatalog("rule fields", _load)


def registry_for(version: Any) -> FieldRegistry:
    """The registry of a configuration version (the one a compiled catalog was built at)."""
    if not settings.PZ_RULE_FIELD_PROVIDERS:
        return BUILTIN_REGISTRY
    return _registries.get(version)


def current_registry() -> FieldRegistry:
    """The registry now: built-in fields plus the providers' (one cache read, or none
    without providers)."""
    if not settings.PZ_RULE_FIELD_PROVIDERS:
        return BUILTIN_REGISTRY
    return _registries.get(ensure_version(cache.get(CONFIG_VERSION_KEY)))


def forget_registry() -> None:
    """Drop this process's compiled registry (tests that change the providers)."""
    _registries.clear()
