"""Blocks for pages' StreamFields: a personalized block (inline variants, each with its
audience, and a fallback) and a placement block (a shared placement, chosen).

A personalized block's content is one of the component kinds (`content.blocks`), so it
renders with the same developer-owned templates and safe placeholders as components.
Editors pick segments, devices and countries from labelled lists: no rule JSON."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.snippets.blocks import SnippetChooserBlock

from content.blocks import COMPONENT_BLOCKS
from segments.conditions import validate_rule
from segments.field_registry import current_registry

PLAIN_KINDS = ("hero", "offer", "cta", "article")
DEVICES = [("", "Any device"), ("desktop", "Desktop"), ("mobile", "Mobile"), ("tablet", "Tablet")]


def segment_choices() -> list[tuple[str, str]]:
    """Active segments by name, keyed by their stable key (read when the form is built)."""
    from segments.models import Segment

    return list(Segment.objects.filter(is_active=True).order_by("name").values_list("key", "name"))


class SegmentsBlock(blocks.MultipleChoiceBlock):
    """Segment keys, checked against the segments only when an editor saves: reading a
    page's blocks asks the database nothing (a deleted segment simply matches no one)."""

    def to_python(self, value: Any) -> list[str]:
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]

    def normalize(self, value: Any) -> list[str]:
        return self.to_python(value)


def _segments_block(label: str, help_text: str) -> SegmentsBlock:
    return SegmentsBlock(
        choices=segment_choices,
        required=False,
        label=label,
        help_text=help_text,
        widget=forms.CheckboxSelectMultiple,
    )


class AudienceBlock(blocks.StructBlock):
    """Who sees a variant: segments (any / all / none), the request's device and country,
    and a schedule. Empty parts match everyone."""

    segments_any = _segments_block("In any of these segments", "At least one of them.")
    segments_all = _segments_block("In all of these segments", "Every one of them.")
    segments_none = _segments_block("In none of these segments", "Excluded segments.")
    device = blocks.ChoiceBlock(choices=DEVICES, required=False, label="Device")
    countries = blocks.CharBlock(
        required=False,
        max_length=200,
        label="Countries",
        help_text="Two-letter codes separated by commas, e.g. DE, AT. Empty: any country.",
    )
    starts_at = blocks.DateTimeBlock(required=False, label="Show from")
    ends_at = blocks.DateTimeBlock(required=False, label="Show until")

    class Meta:
        label = "Audience"
        form_classname = "pz-audience"

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        errors: dict[str, ValidationError] = {}
        countries = parse_countries(value.get("countries") or "")
        if countries is None:
            errors["countries"] = ValidationError("Use two-letter country codes, e.g. DE, AT.")
        elif countries and validate_rule(
            {"field": "context.country", "op": "in", "value": countries},
            registry=current_registry(),
        ):
            errors["countries"] = ValidationError("Unknown country code.")
        starts, ends = value.get("starts_at"), value.get("ends_at")
        if starts and ends and ends <= starts:
            errors["ends_at"] = ValidationError("The schedule must end after it starts.")
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value


def parse_countries(raw: str) -> list[str] | None:
    """Upper-case country codes from "de, at", or None when one is not two letters."""
    codes = [part.strip().upper() for part in raw.split(",") if part.strip()]
    if any(len(code) != 2 or not code.isalpha() for code in codes):
        return None
    return codes


def content_block() -> blocks.StreamBlock:
    return blocks.StreamBlock(COMPONENT_BLOCKS, min_num=1, max_num=1, label="Content")


class VariantBlock(blocks.StructBlock):
    key = blocks.RegexBlock(
        regex=r"^[a-z0-9][a-z0-9-]{0,49}$",
        max_length=50,
        label="Variant name",
        help_text="Reported in decisions and experiments, e.g. vip or winter-b.",
        error_messages={"invalid": "Lower-case letters, digits and dashes, e.g. vip."},
    )
    audience = AudienceBlock()
    content = content_block()

    class Meta:
        label = "Variant"
        icon = "group"


class PersonalizedBlock(blocks.StructBlock):
    """Content that differs by audience: the first variant (in the editor's order) whose
    audience matches is shown, else the fallback. Decided with the page's other
    personalized blocks in one decision (`block:<page id>:<block id>` in decide)."""

    name = blocks.CharBlock(max_length=100, label="Name", help_text="For editors and reports.")
    variants = blocks.ListBlock(VariantBlock(), default=[], label="Variants")
    fallback = content_block()
    min_height = blocks.IntegerBlock(
        required=False,
        min_value=0,
        max_value=1200,
        label="Reserved height (px)",
        help_text="Cached-page mode: the slot keeps this height while pz.js fills it.",
    )

    class Meta:
        label = "Personalized content"
        icon = "user"
        form_classname = "pz-personalized-block"

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        keys = [variant["key"] for variant in value["variants"]]
        if "default" in keys or len(keys) != len(set(keys)):
            raise StructBlockValidationError(
                block_errors={
                    "variants": ValidationError(
                        "Give each variant its own name ('default' is the fallback's)."
                    )
                }
            )
        return value


class PlacementBlock(blocks.StructBlock):
    """A shared placement (edited under Content → Placements) shown on this page."""

    placement = SnippetChooserBlock("content.Placement", label="Placement")

    class Meta:
        label = "Shared placement"
        icon = "pick"


class HeadingBlock(blocks.CharBlock):
    class Meta:
        template = "pages/blocks/heading.html"
        icon = "title"


BODY_BLOCKS: list[tuple[str, blocks.Block]] = [
    ("heading", HeadingBlock(max_length=120)),
    ("text", blocks.RichTextBlock(features=["h3", "bold", "italic", "link", "ul", "ol"])),
    # The same content kinds, not personalized (rendered like components).
    *[(name, block) for name, block in COMPONENT_BLOCKS if name in PLAIN_KINDS],
    ("personalized", PersonalizedBlock()),
    ("placement", PlacementBlock()),
]
