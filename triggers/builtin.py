"""Built-in trigger templates: the common automations, created ready to edit."""

from django.db import transaction

from content.models import Component
from triggers import services
from triggers.models import CouponOffer, EmailTemplate, Trigger

DAY = 24 * 60 * 60


def _popup() -> Component | None:
    return next((c for c in Component.objects.order_by("pk") if c.kind == "popup"), None)


@transaction.atomic
def create_builtin_triggers(*, enabled: bool = False) -> list[Trigger]:
    """Create (or reset) the built-in triggers by key. On-site ones use the first pop-up
    component and stay disabled when there is none."""
    cart_offer, _ = CouponOffer.objects.update_or_create(
        key="cart-comeback",
        defaults={"name": "Cart comeback", "percent": 10, "prefix": "CART", "valid_days": 7},
    )
    cart_email, _ = EmailTemplate.objects.update_or_create(
        key="cart-reminder",
        defaults={
            "name": "Cart reminder",
            "subject": "Your cart at {{ shop.name }} is waiting",
            "body": "",
            "content": [
                (
                    "text",
                    'Hi {{ visitor.first_name|default:"there" }},\n\nyou left something in '
                    "your cart. It is saved for you.",
                ),
                ("cart", {"heading": "Still in your cart", "button_label": "Back to your cart"}),
                (
                    "offer",
                    {
                        "heading": "10% off, just for you",
                        "text": "Use your personal code for {{ offer.percent }}% off your "
                        "order. It is valid until {{ offer.expires }}.",
                        "offer": cart_offer,
                    },
                ),
                (
                    "recommendations",
                    {"heading": "You may also like", "strategy": "personal", "count": 3},
                ),
                ("text", "See you soon,\n{{ shop.name }}"),
            ],
        },
    )
    winback_email, _ = EmailTemplate.objects.update_or_create(
        key="we-miss-you",
        defaults={
            "name": "We miss you",
            "subject": 'It has been a while, {{ visitor.first_name|default:"friend" }}',
            "body": "Here is what is new at {{ shop.name }} since your last order.",
        },
    )
    cross_sell_email, _ = EmailTemplate.objects.update_or_create(
        key="thanks-and-more",
        defaults={
            "name": "Thanks, and you may also like",
            "subject": "Thank you for your order",
            "body": "",
            "content": [
                (
                    "text",
                    "Thank you for shopping at {{ shop.name }}. Customers who bought this "
                    "also liked these.",
                ),
                (
                    "recommendations",
                    {"heading": "You may also like", "strategy": "personal", "count": 3},
                ),
            ],
        },
    )
    lighting_email, _ = EmailTemplate.objects.update_or_create(
        key="lighting-ideas",
        defaults={
            "name": "Lighting ideas",
            "subject": "Make the most of your new lights",
            "body": 'Hi {{ visitor.first_name|default:"there" }},\n\nthank you for your lighting '
            "order. Bulbs, shades and candles that go with it are waiting at "
            "{{ shop.name }}.\n\n{{ shop.name }}",
        },
    )
    popup = _popup()
    specs = [
        {
            "key": "cart-abandonment",
            "name": "Cart abandonment (30 min)",
            "entry_event": "add_to_cart",
            "wait_seconds": 30 * 60,
            "cancel_event": "purchase",
            "conditions": {"field": "profile.cart.items", "op": "gt", "value": 0},
            "frequency_cap_seconds": 7 * DAY,
            "quiet_start_hour": 22,
            "quiet_end_hour": 8,
            "action": Trigger.Action.EMAIL,
            "email_template": cart_email,
        },
        {
            "key": "repeat-category-browsing",
            "name": "Repeat category browsing",
            "entry_event": "product_view",
            "conditions": {
                "events": {
                    "type": "product_view",
                    "within": "1h",
                    "where": {"category": {"eq": "$entry.category"}},
                },
                "op": "gt",
                "value": 2,
            },
            "frequency_cap_seconds": DAY,
            "action": Trigger.Action.ONSITE,
            "popup": popup,
        },
        {
            "key": "search-without-click",
            "name": "Search without a result click",
            "entry_event": "search",
            "wait_seconds": 5 * 60,
            # A result click opens a product page.
            "cancel_event": "product_view",
            "frequency_cap_seconds": DAY,
            "action": Trigger.Action.ONSITE,
            "popup": popup,
        },
        {
            "key": "lapsed-customer",
            "name": "Lapsed customer (no purchase in 60 days)",
            "kind": Trigger.Kind.SWEEP,
            "entry_event": "",
            "conditions": {
                "all": [
                    {"field": "profile.orders", "op": "gt", "value": 0},
                    {"field": "profile.rfm.recency_days", "op": "gt", "value": 60},
                ]
            },
            "frequency_cap_seconds": 30 * DAY,
            "quiet_start_hour": 22,
            "quiet_end_hour": 8,
            "action": Trigger.Action.EMAIL,
            "email_template": winback_email,
        },
        {
            "key": "lighting-buyers",
            "name": "Bought lighting: matching bulbs and decor",
            "entry_event": "purchase",
            "wait_seconds": 60 * 60,
            # An order with at least one lighting line (any line of the order matches).
            "conditions": {
                "events": {
                    "type": "purchase",
                    "where": {"items.category": {"eq": "home/lighting"}},
                    "within": "1d",
                },
                "op": "gte",
                "value": 1,
            },
            "frequency_cap_seconds": 30 * DAY,
            "quiet_start_hour": 22,
            "quiet_end_hour": 8,
            "action": Trigger.Action.EMAIL,
            "email_template": lighting_email,
        },
        {
            "key": "post-purchase-cross-sell",
            "name": "Post-purchase cross-sell",
            "entry_event": "purchase",
            "wait_seconds": 2 * 60 * 60,
            "frequency_cap_seconds": 7 * DAY,
            "quiet_start_hour": 22,
            "quiet_end_hour": 8,
            "action": Trigger.Action.EMAIL,
            "email_template": cross_sell_email,
        },
    ]
    triggers = []
    for spec in specs:
        key = str(spec.pop("key"))
        usable = spec["action"] != Trigger.Action.ONSITE or spec.get("popup") is not None
        trigger = Trigger.objects.filter(key=key).first() or Trigger(key=key)
        for name, value in {**spec, "enabled": enabled and usable}.items():
            setattr(trigger, name, value)
        # Through the one write path: validated and audited like a staff change.
        triggers.append(services.trigger_save(trigger=trigger))
    return triggers
