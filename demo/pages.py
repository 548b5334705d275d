"""The demo's Wagtail pages: the home page (the site's root, at `/`), a category landing
and a campaign page, each with personalized blocks an editor can change in the page
editor. Loaded by `load_demo` after the demo segments and content (blocks name segments
and placements by key). Safe to run again: existing pages keep their edits."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from wagtail.models import Locale, Page, Site

from content.models import Placement
from demo.content import DEMO_COMPONENTS
from pages.models import HomePage, LandingPage

_VALUES = {spec["key"]: spec["value"] for spec in DEMO_COMPONENTS}
_MOBILE = {"device": "mobile"}
_VIP = {"segments_any": ["champions", "high-value"]}


def _content(kind: str, component_key: str) -> list[dict[str, Any]]:
    return [{"type": kind, "value": dict(_VALUES[component_key])}]


def _audience(**parts: Any) -> dict[str, Any]:
    empty = {"segments_any": [], "segments_all": [], "segments_none": [], "device": ""}
    return {**empty, "countries": "", "starts_at": None, "ends_at": None, **parts}


def _personalized(
    name: str, fallback: tuple[str, str], variants: list[tuple[str, dict[str, Any], str, str]]
) -> dict[str, Any]:
    return {
        "type": "personalized",
        "id": str(uuid.uuid4()),
        "value": {
            "name": name,
            "variants": [
                {"key": key, "audience": _audience(**audience), "content": _content(kind, comp)}
                for key, audience, kind, comp in variants
            ],
            "fallback": _content(*fallback),
            "min_height": 320 if fallback[0] == "hero" else 160,
        },
    }


def _placement(key: str) -> list[dict[str, Any]]:
    placement = Placement.objects.filter(key=key).first()
    if placement is None:
        return []
    return [{"type": "placement", "id": str(uuid.uuid4()), "value": {"placement": placement.pk}}]


def home_body() -> list[dict[str, Any]]:
    hero = _personalized(
        "Home hero",
        ("hero", "hero-welcome"),
        [
            ("vip", _VIP, "hero", "hero-vip"),
            ("win-back", {"segments_any": ["lapsed-high-value"]}, "hero", "hero-win-back"),
            ("basket", {"segments_any": ["cart-abandoners"]}, "hero", "hero-basket"),
            ("christmas", {"segments_any": ["christmas-shoppers"]}, "hero", "hero-christmas"),
            ("mobile", _MOBILE, "hero", "hero-mobile"),
        ],
    )
    return [hero, *_placement("home-recs")]


def category_body() -> list[dict[str, Any]]:
    return [
        {"type": "heading", "value": "Christmas decorations"},
        {
            "type": "text",
            "value": "<p>Baubles, lights, advent calendars and stocking fillers, "
            'all in <a href="/c/seasonal/christmas/">the Christmas shop</a>.</p>',
        },
        _personalized(
            "Christmas landing offer",
            ("cta", "cta-sign-in"),
            [
                ("vip", _VIP, "offer", "offer-vip-delivery"),
                ("basket", {"segments_any": ["cart-abandoners"]}, "offer", "offer-basket-discount"),
            ],
        ),
        *_placement("category-top"),
    ]


def campaign_body() -> list[dict[str, Any]]:
    return [
        _personalized(
            "Campaign hero",
            ("hero", "hero-christmas"),
            [
                ("vip", _VIP, "hero", "hero-vip"),
                ("mobile", _MOBILE, "hero", "hero-mobile"),
            ],
        ),
        {"type": "article", "value": dict(_VALUES["article-christmas-guide"])},
    ]


@dataclass
class DemoPagesReport:
    created: list[str]
    home: HomePage


def _child(parent: Page, model: type[Page], slug: str, title: str, body: Any) -> tuple[Page, bool]:
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing is not None:
        return existing, False
    page = model(title=title, slug=slug, body=body)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page, True


@transaction.atomic
def load_demo_pages() -> DemoPagesReport:
    """The home page as the default site's root, with a category landing (`/christmas/`)
    and a campaign page (`/christmas-delivery/`) below it."""
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node()
    created: list[str] = []
    home, new = _child(root, HomePage, "shop-home", "Home", home_body())
    if new:
        created.append("/")
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    pages = [
        (LandingPage, "christmas", "Christmas decorations", category_body()),
        (LandingPage, "christmas-delivery", "Christmas delivery", campaign_body()),
    ]
    for model, slug, title, body in pages:
        if _child(home, model, slug, title, body)[1]:
            created.append(f"/{slug}/")
    return DemoPagesReport(created=created, home=home.specific)  # type: ignore[arg-type]
