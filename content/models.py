"""Components, placements and their targeted variants, edited in Wagtail as snippets."""

from typing import Any

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
    TranslatableMixin,
    WorkflowMixin,
)
from wagtail.search import index

from content.blocks import COMPONENT_BLOCKS
from content.panels import (
    SearchableCheckboxes,
    VariantsInlinePanel,
    WhoSeesWhatPanel,
    variant_context_rule_widget,
)
from core.key_panels import KeyPanel, NameToKeyPanel
from segments.conditions import validate_rule
from segments.field_registry import current_registry


class Component(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    TranslatableMixin,
    index.Indexed,
    models.Model,
):
    """A reusable piece of content (hero, offer, CTA, recommendations, article, pop-up)."""

    key = models.SlugField(max_length=100, help_text="Stable name used by the API.")
    name = models.CharField(max_length=200)
    body = StreamField(COMPONENT_BLOCKS, min_num=1, max_num=1)
    updated_at = models.DateTimeField(auto_now=True)

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="component")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="component",
        for_concrete_model=False,
    )

    panels = [NameToKeyPanel(), KeyPanel(), FieldPanel("body")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta(TranslatableMixin.Meta):
        ordering = ["name"]
        unique_together = [("translation_key", "locale"), ("key", "locale")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def revisions(self) -> Any:
        return self._revisions

    @property
    def kind(self) -> str:
        return self.body[0].block_type if len(self.body) else ""

    def get_preview_template(self, request: Any, mode_name: str) -> str:
        return "content/preview_component.html"

    def get_preview_context(self, request: Any, mode_name: str) -> dict[str, Any]:
        from content.rendering import render_component

        context = super().get_preview_context(request, mode_name)
        context["fragment"] = render_component(self, values={}, placement_key="preview")
        return context


class Placement(
    WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, PreviewableMixin, ClusterableModel
):
    """A slot on the storefront (`home-hero`) holding targeted variants and a fallback."""

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="placement")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="placement",
        for_concrete_model=False,
    )

    panels = [
        NameToKeyPanel(),
        KeyPanel(),
        FieldPanel("description"),
        WhoSeesWhatPanel(heading="Who sees what"),
        VariantsInlinePanel(
            "variants",
            heading="Variants",
            label="Variant",
            min_num=1,
            help_text="Tried from the top: the first variant that fits a visitor is shown. "
            "Drag a variant (or use its arrows) to change the order.",
        ),
    ]

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name

    @property
    def revisions(self) -> Any:
        return self._revisions

    def get_preview_template(self, request: Any, mode_name: str) -> str:
        return "content/preview_placement.html"

    def get_preview_context(self, request: Any, mode_name: str) -> dict[str, Any]:
        from content.placement_summary import in_precedence, variant_audience
        from content.rendering import render_component

        context = super().get_preview_context(request, mode_name)
        context["variants"] = [
            {
                "variant": variant,
                "audience": variant_audience(variant),
                "fragment": render_component(
                    variant.component, values={}, placement_key=self.key, variant_key=variant.key
                ),
            }
            for variant in in_precedence(self.variants.all())
            if variant.component_id
        ]
        return context


class PlacementVariant(Orderable, ClusterableModel):
    """One candidate content for a placement with its target, priority and schedule.

    The first variant (highest priority) whose schedule includes now and whose target
    matches is shown; the fallback variant is shown when none does.
    """

    placement = ParentalKey(Placement, on_delete=models.CASCADE, related_name="variants")
    key = models.SlugField(max_length=50, help_text="Reported in decisions, e.g. 'default' or 'b'.")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="variants")
    is_fallback = models.BooleanField(
        default=False, help_text="Shown when no other variant matches. Exactly one per placement."
    )
    priority = models.IntegerField(default=100, help_text="Higher wins when several match.")
    segments_any = ParentalManyToManyField(
        "segments.Segment",
        blank=True,
        related_name="+",
        verbose_name="Shown to visitors in any of these segments",
        help_text="Leave all three empty to show it to everyone.",
    )
    segments_all = ParentalManyToManyField(
        "segments.Segment",
        blank=True,
        related_name="+",
        verbose_name="…and only if they are in all of these",
    )
    segments_none = ParentalManyToManyField(
        "segments.Segment",
        blank=True,
        related_name="+",
        verbose_name="…and never to visitors in these",
    )
    context_rule = models.JSONField(
        null=True,
        blank=True,
        help_text='Optional condition on the request, e.g. {"field": "context.device", '
        '"op": "eq", "value": "mobile"} (the segment rule language).',
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    # The editor's order is the precedence (PlacementForm sets `priority` from it).
    panels = [
        FieldPanel("component"),
        FieldPanel("key"),
        FieldPanel("is_fallback"),
        FieldPanel("segments_any", widget=SearchableCheckboxes),
        FieldPanel("segments_all", widget=SearchableCheckboxes),
        FieldPanel("segments_none", widget=SearchableCheckboxes),
        FieldPanel(
            "context_rule",
            widget=variant_context_rule_widget(),
            heading="Only when the visit matches",
            help_text="Optional conditions on the visit itself (device, country, language, "
            "campaign…). Leave empty to show the variant whatever the visit.",
        ),
        FieldPanel("starts_at"),
        FieldPanel("ends_at"),
    ]

    class Meta(Orderable.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.placement_id}:{self.key}"

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The schedule must end after it starts."})
        if self.context_rule:
            errors = validate_rule(self.context_rule, registry=current_registry())
            if errors:
                raise ValidationError(
                    {"context_rule": f"{errors[0].path or '(root)'}: {errors[0].reason}"}
                )


class VariantStats(models.Model):
    """Impressions, clicks and conversions per variant, aggregated from tracked events."""

    placement_key = models.CharField(max_length=100)
    variant_key = models.CharField(max_length=50)
    impressions = models.PositiveIntegerField(default=0)
    viewers = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)
    revenue = models.FloatField(default=0.0)
    computed_at = models.DateTimeField()

    class Meta:
        unique_together = [("placement_key", "variant_key")]

    @property
    def ctr(self) -> float:
        return self.clicks / self.impressions if self.impressions else 0.0

    @property
    def conversion_rate(self) -> float:
        return self.conversions / self.viewers if self.viewers else 0.0
