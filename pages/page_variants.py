"""Choosing a page's variant for a visitor: the page's live variants compiled per
configuration version (publishing a variant bumps it), matched against the segments the
request's decision evaluates anyway, so a page with variants costs no extra query."""

import threading
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from content.targeting import VariantTarget, choose_variant, ordered
from core import clock
from personalization.request_decisions import request_segments


@dataclass(frozen=True)
class CompiledPageVariant:
    key: str
    body: Any


class _LivePageVariants:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: Any = object()
        self._pages: dict[int, tuple[tuple[VariantTarget, ...], dict[str, Any]]] = {}

    def for_page(
        self, page_id: int, version: Any
    ) -> tuple[tuple[VariantTarget, ...], dict[str, Any]]:
        with self._lock:
            if version is None or version != self._version:
                self._version, self._pages = version, {}
            found = self._pages.get(page_id)
        if found is None:
            found = _load(page_id)
            with self._lock:
                self._pages[page_id] = found
        return found

    def clear(self) -> None:
        with self._lock:
            self._version, self._pages = object(), {}


def _load(page_id: int) -> tuple[tuple[VariantTarget, ...], dict[str, Any]]:
    from pages.models import PageVariant

    variants = PageVariant.objects.filter(page_id=page_id, live=True).prefetch_related("segments")
    targets, bodies = [], {}
    for order, variant in enumerate(variants):
        targets.append(
            VariantTarget(
                key=variant.key,
                component_id=variant.pk,
                priority=variant.priority,
                order=order,
                is_fallback=False,
                segments_any=frozenset(s.key for s in variant.segments.all()),
            )
        )
        bodies[variant.key] = variant.body
    return ordered(targets), bodies


live_page_variants = _LivePageVariants()


def page_variant_for(page: Any, request: HttpRequest) -> CompiledPageVariant | None:
    """The live variant of `page` this request's visitor gets, or None for the page itself.
    A variant needs a segment: visitors without personalization consent have none."""
    segments = request_segments(request)
    targets, bodies = live_page_variants.for_page(page.pk, segments.config_version)
    if not targets:
        return None
    chosen, _ = choose_variant(targets, frozenset(segments.targetable), segments.facts, clock.now())
    if chosen is None or chosen.is_fallback:
        return None
    return CompiledPageVariant(key=chosen.key, body=bodies[chosen.key])


def live_variant_bodies(page_id: int, version: Any) -> list[Any]:
    """The bodies of a page's live variants (their personalized blocks are decidable)."""
    return list(live_page_variants.for_page(page_id, version)[1].values())
