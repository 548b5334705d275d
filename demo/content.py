"""The demo's components and published placements, so a fresh install is personalized out
of the box. Loaded by `load_demo` after the demo segments (targets name them by key)."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from wagtail.models import Locale

from content.models import Component, Placement, PlacementVariant
from core import clock
from segments.models import Segment

# Placeholders resolve from the decision (see content/placeholders.py); segment values
# such as `discount_code` come from the segments' `placeholder_values`.
DEMO_COMPONENTS: list[dict[str, Any]] = [
    # home-hero
    {
        "key": "hero-welcome",
        "name": "Hero: welcome",
        "kind": "hero",
        "value": {
            "heading": "Gifts, home and little luxuries",
            "subheading": "Thousands of finds for home, garden and the festive season. "
            "Browse around: the more you look, the better we know what you like.",
            "cta_text": "See what's popular",
            "cta_url": "/#recs",
            "theme": "dark",
        },
    },
    {
        "key": "hero-vip",
        "name": "Hero: VIP welcome back",
        "kind": "hero",
        "value": {
            "heading": 'Welcome back, {{ visitor.first_name|default:"friend" }}',
            "subheading": "Thank you for being one of our best customers. Your VIP offer: "
            '15% off everything with code {{ segment.discount_code|default:"THANKYOU15" }}, '
            "and free express delivery.",
            "cta_text": "Shop new arrivals",
            "cta_url": "/c/home/decor/",
            "theme": "accent",
        },
    },
    {
        "key": "hero-win-back",
        "name": "Hero: we've missed you",
        "kind": "hero",
        "value": {
            "heading": "We've missed you",
            "subheading": "A lot has changed since your last order. Come back for 20% off "
            'with code {{ segment.discount_code|default:"MISSYOU20" }}.',
            "cta_text": "See what's new",
            "cta_url": "/c/home/",
            "theme": "light",
        },
    },
    {
        "key": "hero-basket",
        "name": "Hero: your basket is waiting",
        "kind": "hero",
        "value": {
            "heading": "Your basket is waiting",
            "subheading": "We kept your items for you. Check out today with code "
            '{{ segment.discount_code|default:"COMEBACK10" }} for 10% off.',
            "cta_text": "Back to my basket",
            "cta_url": "/cart/",
            "theme": "accent",
        },
    },
    {
        "key": "hero-christmas",
        "name": "Hero: Christmas, sorted",
        "kind": "hero",
        "value": {
            "heading": "Christmas, sorted",
            "subheading": "Baubles, lights and stocking fillers: the festive shop is open.",
            "cta_text": "Shop Christmas",
            "cta_url": "/c/seasonal/christmas/",
            "theme": "dark",
        },
    },
    {
        "key": "hero-mobile",
        "name": "Hero: on the go",
        "kind": "hero",
        "value": {
            "heading": "Shopping on the go?",
            "subheading": "Tap a category, add to your basket, and check out in a minute.",
            "cta_text": "Popular picks",
            "cta_url": "/#recs",
            "theme": "light",
        },
    },
    # site-banner
    {
        "key": "offer-free-shipping",
        "name": "Offer: free shipping",
        "kind": "offer",
        "value": {
            "heading": "Free shipping on orders over £50",
            "text": "Delivered in 2 to 4 working days.",
        },
    },
    {
        "key": "offer-basket-discount",
        "name": "Offer: finish your order",
        "kind": "offer",
        "value": {
            "heading": "Still deciding?",
            "text": "Your basket is saved. Take {{ offer.percent }}% off when you check out.",
            "code": '{{ segment.discount_code|default:"COMEBACK10" }}',
            "percent": 10,
            "cta_text": "Go to basket",
            "cta_url": "/cart/",
        },
    },
    {
        "key": "offer-vip-delivery",
        "name": "Offer: VIP express delivery",
        "kind": "offer",
        "value": {
            "heading": "VIP: free express delivery on every order",
            "text": "Our thank-you to our best customers.",
        },
    },
    {
        "key": "offer-weekend-sale",
        "name": "Offer: weekend sale",
        "kind": "offer",
        "value": {
            "heading": "Weekend sale",
            "text": "{{ offer.percent }}% off everything until {{ offer.expires }}.",
            "code": "WEEKEND20",
            "percent": 20,
        },
    },
    # recommendations
    {
        "key": "recs-for-you",
        "name": "Recommendations: picked for you",
        "kind": "recommendations",
        "value": {"heading": "Picked for you", "strategy": "personal", "count": 8},
    },
    {
        "key": "recs-similar",
        "name": "Recommendations: you may also like",
        "kind": "recommendations",
        "value": {"heading": "You may also like", "strategy": "similar", "count": 8},
    },
    {
        "key": "recs-bought-together",
        "name": "Recommendations: goes well with your basket",
        "kind": "recommendations",
        "value": {
            "heading": "Goes well with your basket",
            "strategy": "bought_together",
            "count": 6,
        },
    },
    # category-top
    {
        "key": "cta-sign-in",
        "name": "CTA: sign in for your own picks",
        "kind": "cta",
        "value": {
            "heading": "Shopped with us before?",
            "text": "Sign in with your customer number and we'll show you picks, offers "
            "and reorder ideas made for you.",
            "button_text": "Sign in",
            "button_url": "/account/login/",
        },
    },
    {
        "key": "article-christmas-guide",
        "name": "Article: Christmas delivery guide",
        "kind": "article",
        "value": {
            "heading": "Your Christmas delivery guide",
            "body": "<p>Order by <b>18 December</b> for standard delivery before Christmas, "
            "or by <b>21 December</b> with express delivery.</p>",
            "faq": [
                {
                    "question": "Can I send a gift to another address?",
                    "answer": "<p>Yes: add a delivery address at checkout and we leave out "
                    "the receipt.</p>",
                },
                {
                    "question": "Do you gift-wrap?",
                    "answer": '<p>Browse our <a href="/c/gifts/wrapping/">wrapping</a> '
                    "range and wrap it your way.</p>",
                },
            ],
        },
    },
    {
        "key": "cta-vip-preview",
        "name": "CTA: VIP early access",
        "kind": "cta",
        "value": {
            "heading": "Early access for our VIPs",
            "text": "New arrivals land here a week before everyone else sees them.",
            "button_text": "See new arrivals",
            "button_url": "/c/home/decor/",
        },
    },
    # site-popup
    {
        "key": "popup-win-back",
        "name": "Pop-up: 20% off to welcome you back",
        "kind": "popup",
        "value": {
            "heading": "Welcome back!",
            "text": "Here's 20% off your next order: use code "
            '{{ segment.discount_code|default:"MISSYOU20" }} at checkout.',
            "button_text": "Start shopping",
            "button_url": "/c/home/",
            "delay_seconds": 4,
            "dismissible": True,
        },
    },
]


def _mobile() -> dict[str, Any]:
    return {"field": "context.device", "op": "eq", "value": "mobile"}


def _weekend(now: datetime) -> tuple[datetime, datetime]:
    """The current weekend if it is one, else the next: Saturday 00:00 to Monday 00:00."""
    today = clock.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    if today.weekday() == 6:
        saturday = today - timedelta(days=1)
    return saturday, saturday + timedelta(days=2)


def demo_placements(now: datetime) -> list[dict[str, Any]]:
    """Placement specs: variants name components and segments by key; higher priority wins,
    so the most valuable audience sees its variant when a visitor is in several."""
    sale_starts, sale_ends = _weekend(now)
    return [
        {
            "key": "home-hero",
            "name": "Home page hero",
            "description": "The big banner at the top of the home page.",
            "variants": [
                {"key": "default", "component": "hero-welcome", "is_fallback": True},
                {
                    "key": "vip",
                    "component": "hero-vip",
                    "priority": 500,
                    "segments_any": ["champions", "high-value"],
                },
                {
                    "key": "win-back",
                    "component": "hero-win-back",
                    "priority": 400,
                    "segments_any": ["lapsed-high-value"],
                },
                {
                    "key": "basket",
                    "component": "hero-basket",
                    "priority": 300,
                    "segments_any": ["cart-abandoners"],
                },
                {
                    "key": "christmas",
                    "component": "hero-christmas",
                    "priority": 200,
                    "segments_any": ["christmas-shoppers"],
                },
                {
                    "key": "mobile",
                    "component": "hero-mobile",
                    "priority": 100,
                    "context_rule": _mobile(),
                },
            ],
        },
        {
            "key": "site-banner",
            "name": "Site-wide offer banner",
            "description": "A slim offer bar under the header on every page.",
            "variants": [
                {"key": "default", "component": "offer-free-shipping", "is_fallback": True},
                {
                    "key": "basket",
                    "component": "offer-basket-discount",
                    "priority": 400,
                    "segments_any": ["cart-abandoners"],
                },
                {
                    "key": "vip",
                    "component": "offer-vip-delivery",
                    "priority": 300,
                    "segments_any": ["champions", "high-value"],
                },
                {
                    "key": "weekend-sale",
                    "component": "offer-weekend-sale",
                    "priority": 200,
                    "starts_at": sale_starts,
                    "ends_at": sale_ends,
                    "component_value": {"expires_at": sale_ends},
                },
            ],
        },
        {
            "key": "home-recs",
            "name": "Home page recommendations",
            "description": "A carousel from the visitor's interests (popular for newcomers).",
            "variants": [{"key": "default", "component": "recs-for-you", "is_fallback": True}],
        },
        {
            "key": "pdp-below-fold",
            "name": "Product page: below the fold",
            "description": "Products similar to the one on the page.",
            "variants": [{"key": "default", "component": "recs-similar", "is_fallback": True}],
        },
        {
            "key": "cart-recs",
            "name": "Cart cross-sell",
            "description": "Products often bought with what is in the basket.",
            "variants": [
                {"key": "default", "component": "recs-bought-together", "is_fallback": True}
            ],
        },
        {
            "key": "category-top",
            "name": "Category page: top",
            "description": "A call to action or a short guide above the product grid.",
            "variants": [
                {"key": "default", "component": "cta-sign-in", "is_fallback": True},
                {
                    "key": "vip",
                    "component": "cta-vip-preview",
                    "priority": 300,
                    "segments_any": ["champions", "high-value"],
                },
                {
                    "key": "christmas",
                    "component": "article-christmas-guide",
                    "priority": 200,
                    "segments_any": ["christmas-shoppers"],
                },
            ],
        },
        {
            "key": "site-popup",
            "name": "Site pop-up",
            "description": "A delayed pop-up; only targeted visitors see one (no fallback).",
            "variants": [
                {
                    "key": "win-back",
                    "component": "popup-win-back",
                    "priority": 100,
                    "segments_any": ["lapsed-high-value"],
                }
            ],
        },
    ]


@dataclass(frozen=True)
class DemoContentReport:
    components_published: int
    placements_published: int
    placements: list[Placement]


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _body(component: Component) -> str:
    """The body as stored (defaults filled in, JSON-encoded), without block ids."""
    stream_block = Component._meta.get_field("body").stream_block
    raw = json.loads(json.dumps(component.body.get_prep_value(), cls=DjangoJSONEncoder))
    value = stream_block.to_python(raw)
    list(value)  # converts the lazy raw items, filling in block defaults
    stored = stream_block.get_prep_value(value)
    return json.dumps(_without_ids(stored), cls=DjangoJSONEncoder, sort_keys=True)


def _save_component(
    spec: dict[str, Any], extra_value: dict[str, Any] | None
) -> tuple[Component, bool]:
    """Create or update a component by key; publish a revision only when it changed."""
    wanted = Component(key=spec["key"], name=spec["name"], locale=Locale.get_default())
    wanted.body = [(spec["kind"], {**spec["value"], **(extra_value or {})})]
    component = Component.objects.filter(key=spec["key"], locale=wanted.locale).first()
    if component is None:
        component = wanted
    elif component.live and component.name == wanted.name and _body(component) == _body(wanted):
        return component, False
    else:
        component.name = wanted.name
        component.body = wanted.body
    component.save()
    component.save_revision().publish()
    return component, True


def _segments(keys: list[str]) -> list[Segment]:
    found = list(Segment.objects.filter(key__in=keys))
    missing = set(keys) - {segment.key for segment in found}
    if missing:
        # A target naming a missing segment would silently match everyone.
        raise ValueError(f"demo segments missing: {', '.join(sorted(missing))}")
    return found


def _variant_signature(variant: PlacementVariant) -> tuple[Any, ...]:
    return (
        variant.key,
        variant.component_id,
        variant.is_fallback,
        variant.priority,
        *(
            frozenset(segment.key for segment in getattr(variant, name).all())
            for name in ("segments_any", "segments_all", "segments_none")
        ),
        variant.context_rule,
        variant.starts_at,
        variant.ends_at,
    )


def _save_placement(
    spec: dict[str, Any], components: dict[str, Component]
) -> tuple[Placement, bool]:
    """Create or update a placement by key with exactly the variants of `spec`; publish."""
    placement = Placement.objects.filter(key=spec["key"]).first() or Placement(key=spec["key"])
    before = [_variant_signature(v) for v in placement.variants.all()] if placement.pk else None
    rows = []
    # The admin shows variants in the order they are tried: by priority, the fallback last.
    specs = sorted(
        spec["variants"], key=lambda v: (v.get("is_fallback", False), -v.get("priority", 100))
    )
    for order, variant_spec in enumerate(specs):
        row = PlacementVariant(
            key=variant_spec["key"],
            component=components[variant_spec["component"]],
            is_fallback=variant_spec.get("is_fallback", False),
            priority=variant_spec.get("priority", 100),
            context_rule=variant_spec.get("context_rule"),
            starts_at=variant_spec.get("starts_at"),
            ends_at=variant_spec.get("ends_at"),
            sort_order=order,
        )
        for name in ("segments_any", "segments_all", "segments_none"):
            setattr(row, name, _segments(variant_spec.get(name, [])))
        row.full_clean(exclude=["placement"])
        rows.append(row)
    unchanged = (
        placement.live
        and placement.name == spec["name"]
        and placement.description == spec["description"]
        and before == [_variant_signature(row) for row in rows]
    )
    if unchanged:
        return placement, False
    placement.name = spec["name"]
    placement.description = spec["description"]
    placement.variants = rows
    placement.save()
    placement.save_revision().publish()
    return placement, True


@transaction.atomic
def load_demo_content(*, now: datetime | None = None) -> DemoContentReport:
    """Create or update the demo components and placements by key and publish them.

    Safe to run again: unchanged content gets no new revision; the weekend sale moves to
    the coming weekend."""
    placements_spec = demo_placements(now or clock.now())
    # Per-placement component values (the sale's expiry follows its schedule).
    extra: dict[str, dict[str, Any]] = {}
    for placement_spec in placements_spec:
        for variant_spec in placement_spec["variants"]:
            if "component_value" in variant_spec:
                extra[variant_spec["component"]] = variant_spec["component_value"]
    components: dict[str, Component] = {}
    components_published = 0
    for spec in DEMO_COMPONENTS:
        components[spec["key"]], published = _save_component(spec, extra.get(spec["key"]))
        components_published += published
    placements = []
    placements_published = 0
    for spec in placements_spec:
        placement, published = _save_placement(spec, components)
        placements.append(placement)
        placements_published += published
    return DemoContentReport(
        components_published=components_published,
        placements_published=placements_published,
        placements=placements,
    )
