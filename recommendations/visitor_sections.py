"""Recommendations store no visitor rows: only a cache of recent product ids (derived
from the visitor's events, which the "events" section exports and erases). Erasure
drops that cache so nothing personal outlives the events; trained models hold item
statistics only, never visitor ids."""

from typing import Any

from django.core.cache import cache

from core.visitor_data import VisitorDataSection, register_section
from recommendations.selectors import forget_visitor_activity, recent_cache_key


def _export(ids: list[str]) -> dict[str, Any]:
    cached = cache.get_many([recent_cache_key(v) for v in ids])
    return {
        "cached_recent_products": {
            key.removeprefix(recent_cache_key("")): {
                "recent": entry["recent"],
                "purchased": entry["purchased"],
            }
            for key, entry in cached.items()
            if not entry.get("unknown")
        }
    }


def register_recommendation_sections() -> None:
    register_section(
        VisitorDataSection(
            name="recommendations", models=(), export=_export, erase=forget_visitor_activity
        )
    )
