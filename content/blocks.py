"""The component kinds editors compose, as StreamField blocks (one block per component).

Components are snippets (reusable in many placements, with drafts, revisions, preview,
locking and localization); the kind-specific fields are StreamField blocks, so each
kind gets its own editing form without a model per kind.
"""

from typing import Any

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from content.placeholders import resolve, safe_url

STRATEGIES = [
    ("personal", "Personal (from the visitor's interests)"),
    ("similar", "Similar to the product on the page"),
    ("bought_together", "Bought together"),
    ("popular", "Popular"),
]


class SafeUrlBlock(blocks.CharBlock):
    """A link target: a site path or an http(s) URL, never `javascript:` and friends.
    Checked as written here (placeholders at their defaults) and again after the
    placeholders are filled in, when the component renders (`content.rendering`)."""

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value and not safe_url(resolve(value, {}, escape=False, url=True).text):
            raise ValidationError(
                "Use a path starting with / (not //) or an http(s):// address, "
                "without spaces or backslashes."
            )
        return value


class HeroBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    subheading = blocks.TextBlock(required=False, max_length=300)
    image = ImageChooserBlock(required=False)
    cta_text = blocks.CharBlock(required=False, max_length=40)
    cta_url = SafeUrlBlock(required=False, max_length=300)
    theme = blocks.ChoiceBlock(
        choices=[("light", "Light"), ("dark", "Dark"), ("accent", "Accent")], default="dark"
    )

    class Meta:
        template = "content/blocks/hero.html"
        icon = "image"


class OfferBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    code = blocks.CharBlock(required=False, max_length=40, help_text="Shown to the shopper.")
    percent = blocks.IntegerBlock(min_value=1, max_value=90, required=False)
    expires_at = blocks.DateTimeBlock(required=False)
    cta_text = blocks.CharBlock(required=False, max_length=40)
    cta_url = SafeUrlBlock(required=False, max_length=300)

    class Meta:
        template = "content/blocks/offer.html"
        icon = "tag"


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    button_text = blocks.CharBlock(max_length=40)
    button_url = SafeUrlBlock(max_length=300)

    class Meta:
        template = "content/blocks/cta.html"
        icon = "pick"


class RecommendationsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120, default="Recommended for you")
    strategy = blocks.ChoiceBlock(choices=STRATEGIES, default="personal")
    count = blocks.IntegerBlock(min_value=1, max_value=24, default=8)

    class Meta:
        template = "content/blocks/recommendations.html"
        icon = "list-ul"


class FaqItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=200)
    answer = blocks.RichTextBlock(features=["bold", "italic", "link", "ul", "ol"])


class ArticleBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=160)
    body = blocks.RichTextBlock(
        features=["h3", "h4", "bold", "italic", "link", "ul", "ol"], required=False
    )
    faq = blocks.ListBlock(FaqItemBlock(), required=False, default=[])

    class Meta:
        template = "content/blocks/article.html"
        icon = "doc-full"


class PopupBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    button_text = blocks.CharBlock(required=False, max_length=40)
    button_url = SafeUrlBlock(required=False, max_length=300)
    delay_seconds = blocks.IntegerBlock(min_value=0, max_value=600, default=3)
    dismissible = blocks.BooleanBlock(required=False, default=True)

    class Meta:
        template = "content/blocks/popup.html"
        icon = "warning"


COMPONENT_BLOCKS = [
    ("hero", HeroBlock()),
    ("offer", OfferBlock()),
    ("cta", CallToActionBlock()),
    ("recommendations", RecommendationsBlock()),
    ("article", ArticleBlock()),
    ("popup", PopupBlock()),
]
