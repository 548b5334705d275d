"""Template tags: `{% pz_placement "home-hero" %}`, `{% pz_if_segment "vip" %}` and
`{% pz_identity_token user %}`.

Placement tags only leave a marker and register the key; `PersonalizationMiddleware`
decides all of a page's placements together and fills the markers in.
"""

from typing import Any

from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from core.identity import identity_token_for
from personalization.request_decisions import (
    MARKER,
    preview_description,
    request_visitor,
    requested_placements,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def pz_placement(context: dict[str, Any], key: str) -> SafeString:
    request = context.get("request")
    if request is None:
        return mark_safe("")
    requested_placements(request).append(str(key))
    return mark_safe(MARKER.format(key=key))  # noqa: S308 - a fixed comment, key escaped below


@register.simple_tag(takes_context=True)
def pz_preview_as(context: dict[str, Any]) -> str | None:
    """`{% pz_preview_as as previewing %}`: what a staff preview pretends, in words, or
    None for a real visit (the page then tracks nothing: a preview is no traffic)."""
    request = context.get("request")
    return preview_description(request) if request is not None else None


@register.simple_tag
def pz_identity_token(user: Any) -> str:
    """The identity token of a signed-in customer, for pz.js's `data-identity-token`
    (its `login` is refused without one); empty for anonymous users."""
    return identity_token_for(user)


@register.simple_tag
def pz_consent_required() -> str:
    """Whether visitors must opt in before anything is tracked ("true" or "false", for
    pz.js's `data-consent-required`): the site's default consent has no tracking."""
    return "false" if settings.PZ_DEFAULT_CONSENT["tracking"] else "true"


class SegmentConditionNode(template.Node):
    def __init__(
        self, keys: list[Any], nodelist_true: template.NodeList, nodelist_false: template.NodeList
    ):
        self.keys, self.nodelist_true, self.nodelist_false = keys, nodelist_true, nodelist_false

    def render(self, context: template.Context) -> str:
        request = context.get("request")
        keys = {str(key.resolve(context)) for key in self.keys}
        member = request is not None and bool(keys & set(request_visitor(request).targetable))
        return (self.nodelist_true if member else self.nodelist_false).render(context)


@register.tag("pz_if_segment")
def pz_if_segment(parser: template.base.Parser, token: template.base.Token) -> SegmentConditionNode:
    """`{% pz_if_segment "vip" "champions" %}...{% else %}...{% endpz_if_segment %}`: shown
    when the visitor is in any of the (targetable) segments named."""
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("pz_if_segment needs at least one segment key")
    keys = [parser.compile_filter(bit) for bit in bits]
    nodelist_true = parser.parse(("else", "endpz_if_segment"))
    token = parser.next_token()
    nodelist_false = template.NodeList()
    if token.contents == "else":
        nodelist_false = parser.parse(("endpz_if_segment",))
        parser.delete_first_token()
    return SegmentConditionNode(keys, nodelist_true, nodelist_false)
