"""Template tags of the demo shop: each asks a selector or category_display."""

from collections.abc import Mapping

from django import template

from storefront import category_display, selectors

register = template.Library()


@register.filter
def category_initials(category: str) -> str:
    return category_display.category_initials(category)


@register.filter
def category_ancestors(category: str) -> list[str]:
    return category_display.category_ancestors(category)


@register.filter
def category_label(category: str) -> str:
    return category_display.category_label(category)


@register.filter
def category_hue(category: str) -> int:
    return category_display.category_hue(category)


@register.simple_tag
def top_categories() -> list[selectors.CategoryCount]:
    return selectors.subcategories()


@register.simple_tag
def cart_quantity(session: Mapping[str, object]) -> int:
    return selectors.cart_quantity(session)
