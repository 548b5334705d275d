"""Reads of pages for decisions."""

from typing import Any

from django.http import HttpRequest
from wagtail.models import Site

from pages.models import HomePage, LandingPage

PAGE_MODELS = (HomePage, LandingPage)


def live_pages_by_id(page_ids: list[int]) -> dict[int, Any]:
    """Live personalized pages by id, with their bodies (one query per page type)."""
    found: dict[int, Any] = {}
    for model in PAGE_MODELS:
        for page in model.objects.live().filter(pk__in=page_ids):
            found[page.pk] = page
    return found


def home_page_exists(request: HttpRequest) -> bool:
    """Whether the request's site has a live HomePage as its root (Wagtail caches the site
    lookup; this adds one query)."""
    site = Site.find_for_request(request)
    if site is None:
        return False
    return HomePage.objects.live().filter(pk=site.root_page_id).exists()
