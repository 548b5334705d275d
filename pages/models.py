"""Wagtail pages with a body StreamField whose blocks may be personalized."""

from typing import Any

from django import forms
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import DraftStateMixin, Page, PreviewableMixin, RevisionMixin

from core.key_panels import KeyPanel, NameToKeyPanel
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


class PageVariant(DraftStateMixin, RevisionMixin, PreviewableMixin, ClusterableModel):
    """An alternative version of a personalized page for some segments, served at the
    page's own URL (not a copy in the page tree): drafts, revisions and preview come from
    Wagtail's mixins. The first live variant (by priority) whose segments the visitor is
    in replaces the page's body; everyone else gets the page itself."""

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="pz_variants"
    )
    key = models.SlugField(max_length=50, help_text="Reported in decisions, e.g. vip.")
    name = models.CharField(max_length=200)
    segments = ParentalManyToManyField(
        "segments.Segment", related_name="+", help_text="Shown to visitors in any of these."
    )
    priority = models.IntegerField(default=100, help_text="Higher wins when several match.")
    body = StreamField(BODY_BLOCKS, blank=True, use_json_field=True)
    updated_at = models.DateTimeField(auto_now=True)

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="pz_page_variant")

    panels = [
        FieldPanel("page"),
        NameToKeyPanel(),
        KeyPanel(),
        FieldPanel("segments", widget=forms.CheckboxSelectMultiple),
        FieldPanel("priority"),
        FieldPanel("body"),
    ]

    class Meta:
        ordering = ["page", "-priority", "key"]
        constraints = [
            models.UniqueConstraint(fields=["page", "key"], name="one_variant_key_per_page")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.page})"

    @property
    def revisions(self) -> Any:
        return self._revisions

    def clean(self) -> None:
        super().clean()
        if self.page_id and not isinstance(self.page.specific, PersonalizedPage):
            raise ValidationError({"page": "Choose a home or landing page."})

    @property
    def preview_modes(self) -> list[tuple[str, str]]:
        return [("", "As a member of its segments")]

    def serve_preview(self, request: HttpRequest, mode_name: str) -> Any:
        """The page as this variant's audience sees it (its body, its first segment)."""
        from pages.preview import apply_preview_mode

        page = self.page.specific
        page.body = self.body
        page._pz_variant_preview = self.key
        segments = [segment.key for segment in self.segments.all()]
        apply_preview_mode(request, f"segment:{segments[0]}" if segments else "")
        return Page.serve_preview(page, request, "")
