"""The same page as pz's bench: 5 slots of 3 segment-targeted variants and a "show to
everyone" fallback, with wagtail-personalisation's PersonalisedStructBlock; a slot shows
its first variant that renders (pz's semantics). The plain page holds plain headings."""

from wagtail import blocks
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail_personalisation.blocks import PersonalisedStructBlock


class HeroVariantBlock(PersonalisedStructBlock):
    heading = blocks.CharBlock()

    class Meta:
        template = "wpbench/hero.html"


class SlotBlock(blocks.StructBlock):
    variants = blocks.ListBlock(HeroVariantBlock())

    def render(self, value, context=None):
        variant_block = self.child_blocks["variants"].child_block
        for variant in value["variants"]:
            html = variant_block.render(variant, context)
            if html:
                return html
        return ""


class HeroBlock(blocks.StructBlock):
    heading = blocks.CharBlock()

    class Meta:
        template = "wpbench/hero.html"


class HomePage(Page):
    body = StreamField([("slot", SlotBlock()), ("hero", HeroBlock())], blank=True)
    template = "wpbench/page.html"
