"""Published components and placements for tests."""

from typing import Any

from wagtail.models import Locale

from content.models import Component, Placement, PlacementVariant
from segments.models import Segment


def component(key: str, kind: str = "hero", **value: Any) -> Component:
    defaults = {
        "hero": {
            "heading": f"Hero {key}",
            "subheading": "",
            "cta_text": "Shop",
            "cta_url": "/",
            "theme": "dark",
        },
        "offer": {"heading": f"Offer {key}", "text": "", "code": "SAVE10", "percent": 10},
        "recommendations": {"heading": "For you", "strategy": "popular", "count": 4},
        "cta": {"heading": "Join", "text": "", "button_text": "Go", "button_url": "/"},
    }
    Locale.objects.get_or_create(language_code="en")  # flushed by transactional tests
    obj = Component(key=key, name=key.title(), body=[(kind, {**defaults[kind], **value})])
    obj.save()
    obj.save_revision().publish()
    return Component.objects.get(pk=obj.pk)


def placement(key: str, variants: list[dict[str, Any]]) -> Placement:
    obj = Placement(key=key, name=key.title())
    rows = []
    for spec in variants:
        segments = {
            name: list(Segment.objects.filter(key__in=spec.pop(name, [])))
            for name in ("segments_any", "segments_all", "segments_none")
        }
        row = PlacementVariant(**spec)
        for name, value in segments.items():
            setattr(row, name, value)
        rows.append(row)
    obj.variants = rows
    obj.save()
    obj.save_revision().publish()
    return obj


def experiment_hero() -> Placement:
    """`home-hero` with the fallback `a` and a variant `b` that no visitor matches, so
    `b` is only ever shown as an experiment arm."""
    return placement(
        "home-hero",
        [
            {"key": "a", "component": component("hero-a", heading="A"), "is_fallback": True},
            {
                "key": "b",
                "component": component("hero-b", heading="B"),
                "priority": 10,
                "context_rule": {"field": "context.device", "op": "eq", "value": "never"},
            },
        ],
    )
