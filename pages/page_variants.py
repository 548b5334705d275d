"""Choosing a page's variant for a visitor: the page's live variants compiled per
configuration version (publishing a variant bumps it), matched against the segments the
request's decision evaluates anyway, so a page with variants costs no extra query."""

import threading
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from content.targeting import VariantTarget, choose_variant, ordered
from core import clock
from personalization.request_decisions import request_experiment_arm, request_visitor

# An experiment on a page's body targets `page:<page id>`; its arms name the page's live
# variants, or CONTROL_KEY for the page's own body.
PAGE_PREFIX = "page:"
CONTROL_KEY = "default"


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
    segments = request_visitor(request)
    targets, bodies = live_page_variants.for_page(page.pk, segments.config_version)
    # A running experiment on the page shows its arm (sticky, exposure recorded once).
    arm = request_experiment_arm(request, page_target_key(page.pk), {CONTROL_KEY, *bodies})
    if arm is not None:
        if arm.variant == CONTROL_KEY:
            return None
        return CompiledPageVariant(key=arm.variant, body=bodies[arm.variant])
    if not targets:
        return None
    chosen, _ = choose_variant(targets, frozenset(segments.targetable), segments.facts, clock.now())
    if chosen is None or chosen.is_fallback:
        return None
    return CompiledPageVariant(key=chosen.key, body=bodies[chosen.key])


def page_target_key(page_id: int) -> str:
    return f"{PAGE_PREFIX}{page_id}"


def page_variant_keys(key: str) -> set[str] | None:
    """An experiment's possible arms on `page:<page id>`: the page's own body and its live
    variants; None when no live personalized page has that id."""
    from pages.models import PageVariant
    from pages.selectors import live_pages_by_id

    page_id = key.removeprefix(PAGE_PREFIX)
    if not page_id.isdigit() or not live_pages_by_id([int(page_id)]):
        return None
    live = PageVariant.objects.filter(page_id=int(page_id), live=True)
    return {CONTROL_KEY, *live.values_list("key", flat=True)}


def promote_page_variant(key: str, variant_key: str, user: Any) -> Any:
    """An experiment's winner on `page:<page id>` becomes the page: the winning variant's
    body published as a new revision of the page (the control changes nothing). The
    variants stay as they are for their segments."""
    from django.core.exceptions import PermissionDenied

    from experiments.services import ExperimentConflict
    from pages.models import PageVariant
    from pages.selectors import live_pages_by_id

    page_id = int(key.removeprefix(PAGE_PREFIX))
    page = live_pages_by_id([page_id]).get(page_id)
    if page is None:
        raise ExperimentConflict("The page is no longer live.", {"arm": "page not live"})
    editor = user if getattr(user, "pk", None) else None
    if editor is not None and not page.permissions_for_user(editor).can_publish():
        raise PermissionDenied("Publishing this page needs the page's publish permission.")
    if variant_key == CONTROL_KEY:
        return page
    variant = PageVariant.objects.filter(page_id=page_id, key=variant_key, live=True).first()
    if variant is None:
        raise ExperimentConflict(
            f"The page variant {variant_key} is no longer live; edit the page by hand.",
            {"arm": f"variant {variant_key} not live"},
        )
    page.body = variant.body.raw_data
    page.save_revision(user=editor, log_action=True).publish(user=editor)
    return page


def live_variant_bodies(page_id: int, version: Any) -> list[Any]:
    """The bodies of a page's live variants (their personalized blocks are decidable)."""
    return list(live_page_variants.for_page(page_id, version)[1].values())
