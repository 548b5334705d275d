"""Wagtail pages with a body StreamField whose blocks may be personalized."""

from typing import Any

from django.db import models
from django.http import HttpRequest
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from pages.blocks import BODY_BLOCKS


class PersonalizedPage(Page):
    """A page whose body may hold personalized blocks and shared placements. All of them
    are decided together, in one decision per request."""

    body = StreamField(BODY_BLOCKS, blank=True, use_json_field=True)
    cached_mode = models.BooleanField(
        default=False,
        verbose_name="Serve from a shared cache",
        help_text="The page carries each personalized block's fallback and pz.js fills the "
        "blocks for each visitor after load (one request for all of them). The HTML can then "
        "be cached by a CDN; it sets no cookie.",
    )

    content_panels = [*Page.content_panels, FieldPanel("body")]
    settings_panels = [*Page.settings_panels, FieldPanel("cached_mode")]

    class Meta:
        abstract = True

    @property
    def preview_modes(self) -> list[tuple[str, str]]:
        from pages.preview import preview_modes

        return preview_modes()

    def serve_preview(self, request: HttpRequest, mode_name: str) -> Any:
        from pages.preview import apply_preview_mode

        apply_preview_mode(request, mode_name)
        return super().serve_preview(request, "")

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        from pages.rendering import cache_publicly, serves_cached

        response = super().serve(request, *args, **kwargs)
        if serves_cached(self, request):
            cache_publicly(response)
        return response

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from pages.rendering import prepare_page

        context = super().get_context(request, *args, **kwargs)
        context["pz_page"] = prepare_page(self, request)
        return context


class HomePage(PersonalizedPage):
    """The shop's home page (the site's root)."""

    template = "pages/home_page.html"
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]


class LandingPage(PersonalizedPage):
    """A category landing or a campaign page."""

    template = "pages/landing_page.html"
    parent_page_types = ["pages.HomePage", "pages.LandingPage"]
