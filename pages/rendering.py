"""A personalized page's body, ready for its template.

Personalized blocks and shared placements leave a marker and join the request's one
decision (`PersonalizationMiddleware` fills every marker from one `decide`). In
cached-page mode they render their fallback inside a slot that pz.js fills after load,
and the page touches nothing of the visitor's (no segments, no session, no cookie)."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from content.rendering import render_component
from pages.block_catalog import FALLBACK_KEY, block_key, compile_block
from pages.page_variants import page_variant_for
from personalization.request_decisions import MARKER, requested_placements

SLOT_HEIGHT_STEP = 20  # reserved heights are rounded up to this (pages.css has the classes)


@dataclass
class PreparedPage:
    body: list[SafeString] = field(default_factory=list)
    cached: bool = False
    slots: list[str] = field(default_factory=list)
    anti_flicker_ms: int = 300
    page_variant: str = ""  # the page variant served, if any

    @property
    def base_template(self) -> str:
        return "pages/_cached_base.html" if self.cached else "pages/_page_base.html"


def serves_cached(page: Any, request: HttpRequest) -> bool:
    """Cached-page mode: on for the page, and never for a preview (previews decide)."""
    return bool(page.cached_mode) and not getattr(request, "is_preview", False)


def cache_publicly(response: Any) -> None:
    """A cached-page response: a shared cache may keep it (so no cookie is set on it)."""
    patch_cache_control(response, public=True, max_age=settings.PZ_CACHED_PAGE_MAX_AGE)


def _marker(request: HttpRequest, key: str) -> SafeString:
    requested_placements(request).append(key)
    return mark_safe(MARKER.format(key=key))  # noqa: S308 - a fixed comment; keys are [\w:-]


def _slot(key: str, inner: str, min_height: int | None) -> SafeString:
    height = 0
    if min_height:
        height = min(1200, -(-min_height // SLOT_HEIGHT_STEP) * SLOT_HEIGHT_STEP)
    return format_html(
        '<div class="pz-slot{}" data-pz-slot="{}" data-pz-pending>{}</div>',
        f" pz-h-{height}" if height else "",
        key,
        mark_safe(inner),  # noqa: S308 - rendered by the component templates
    )


def _plain(child: Any) -> SafeString:
    """A block that is not personalized; component kinds render like components."""
    if child.block_type in ("heading", "text"):
        return child.render_as_block()
    return mark_safe(  # noqa: S308 - rendered by the component templates
        render_component(_Plain(child), values={}, placement_key="").html
    )


@dataclass(frozen=True)
class _Plain:
    child: Any
    key: str = ""

    @property
    def body(self) -> list[Any]:
        return [self.child]


def prepare_page(page: Any, request: HttpRequest) -> PreparedPage:
    """The body's blocks as HTML (or markers for the request's decision), registering the
    page's personalized blocks with the decision."""
    prepared = PreparedPage(
        cached=serves_cached(page, request),
        anti_flicker_ms=settings.PZ_ANTI_FLICKER_MS,
    )
    extra = getattr(request, "_pz_extra_placements", None)
    if extra is None:
        extra = request._pz_extra_placements = {}  # type: ignore[attr-defined]
    body = page.body
    if not prepared.cached and not getattr(page, "_pz_variant_preview", None):
        variant = page_variant_for(page, request)
        if variant is not None:
            body, prepared.page_variant = variant.body, variant.key
    for child in body:
        if child.block_type == "personalized":
            key = block_key(page.pk, child.id)
            if prepared.cached:
                fallback = child.value["fallback"]
                inner = ""
                if len(fallback):
                    inner = render_component(
                        _Plain(fallback[0], key=f"{child.value['name']}:{FALLBACK_KEY}"),
                        values={},
                        placement_key=key,
                        variant_key=FALLBACK_KEY,
                    ).html
                prepared.slots.append(key)
                prepared.body.append(_slot(key, inner, child.value.get("min_height")))
            else:
                extra[key] = compile_block(page, child)
                prepared.body.append(_marker(request, key))
        elif child.block_type == "placement":
            placement = child.value["placement"]
            if placement is None:
                continue
            if prepared.cached:
                prepared.slots.append(placement.key)
                prepared.body.append(_slot(placement.key, "", None))
            else:
                prepared.body.append(_marker(request, placement.key))
        else:
            prepared.body.append(_plain(child))
    return prepared
