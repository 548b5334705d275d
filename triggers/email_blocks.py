"""The blocks of an e-mail template. Editors fill in plain values (text, headings,
counts, a chosen offer); the HTML around them is ours (`triggers/email/*.html`), and
text goes through `content.placeholders`, so no editor writes template code."""

from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

RECOMMENDATION_STRATEGIES = [
    ("personal", "For this visitor"),
    ("bought_together", "Bought together with the cart"),
    ("popular", "Popular"),
]


class CartBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Still in your cart")
    button_label = blocks.CharBlock(default="Back to your cart")

    class Meta:
        icon = "list-ul"
        label = "Cart lines"


class RecommendationsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="You may also like")
    strategy = blocks.ChoiceBlock(choices=RECOMMENDATION_STRATEGIES, default="personal")
    count = blocks.IntegerBlock(default=3, min_value=1, max_value=6)

    class Meta:
        icon = "pick"
        label = "Recommended products"


class OfferBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="A little thank-you")
    text = blocks.TextBlock(
        default="Use this code for {{ offer.percent }}% off, valid until {{ offer.expires }}.",
        help_text="Safe placeholders: offer.percent, offer.code, offer.expires, visitor.*",
    )
    offer = SnippetChooserBlock("triggers.CouponOffer")

    class Meta:
        icon = "tag"
        label = "Offer with a unique code"


class EmailBlocks(blocks.StreamBlock):
    text = blocks.TextBlock(
        help_text='Plain text; placeholders such as {{ visitor.first_name|default:"there" }}.'
    )
    cart = CartBlock()
    recommendations = RecommendationsBlock()
    offer = OfferBlock()
