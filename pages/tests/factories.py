"""Pages with personalized blocks, built as an editor would (a published revision)."""

import uuid
from typing import Any

from wagtail.models import Locale, Page, Site

from pages.models import HomePage, LandingPage


def hero(heading: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"type": "hero", "value": {"heading": heading, "theme": "dark", **extra}}]


def audience(**parts: Any) -> dict[str, Any]:
    return {
        "segments_any": [],
        "segments_all": [],
        "segments_none": [],
        "device": "",
        "countries": "",
        "starts_at": None,
        "ends_at": None,
        **parts,
    }


def personalized(
    name: str, fallback: str, variants: list[tuple[str, dict[str, Any], str]], **extra: Any
) -> dict[str, Any]:
    """A personalized block: (variant key, audience parts, heading) per variant."""
    return {
        "type": "personalized",
        "id": str(uuid.uuid4()),
        "value": {
            "name": name,
            "variants": [
                {"key": key, "audience": audience(**parts), "content": hero(heading)}
                for key, parts, heading in variants
            ],
            "fallback": hero(fallback),
            "min_height": extra.get("min_height"),
        },
    }


def site_root() -> Page:
    Locale.objects.get_or_create(language_code="en")
    # A transactional test (live server) starts after another's flush: no tree at all.
    return Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))


def publish(page: Page) -> Page:
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def home_page(body: list[dict[str, Any]], **fields: Any) -> HomePage:
    """A published HomePage, made the default site's root."""
    page = HomePage(title="Home", slug="pz-home", body=body, **fields)
    site_root().add_child(instance=page)
    publish(page)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", root_page=page, is_default_site=True)
    else:
        site.root_page = page
        site.save()
    return page


def landing_page(parent: Page, slug: str, body: list[dict[str, Any]], **fields: Any) -> LandingPage:
    page = LandingPage(title=slug.title(), slug=slug, body=body, **fields)
    parent.add_child(instance=page)
    return publish(page)
