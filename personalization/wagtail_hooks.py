"""Wagtail registrations of personalization: the "preview as" screen (its URL name and
path stay those it had under content, and its menu item sits in the content menu)."""

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks

from content.admin_viewsets import CONTENT_MENU_HOOK, PREVIEW_AS_URL_NAME, StaffMenuItem
from core.admin_menu import CONTENT_ORDER
from personalization.admin_views import PreviewAsView


@hooks.register("register_admin_urls")
def register_preview_as_url() -> list[URLPattern]:
    return [path("content/preview-as/", PreviewAsView.as_view(), name=PREVIEW_AS_URL_NAME)]


@hooks.register(CONTENT_MENU_HOOK)
def register_preview_as_menu_item() -> StaffMenuItem:
    return StaffMenuItem(
        "Preview as…", reverse_lazy(PREVIEW_AS_URL_NAME), icon_name="view", order=CONTENT_ORDER + 50
    )
