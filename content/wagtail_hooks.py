from django.urls import path, reverse_lazy
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from content.admin_views import PreviewAsView
from content.admin_viewsets import (
    CONTENT_MENU_HOOK,
    PREVIEW_AS_URL_NAME,
    ContentViewSetGroup,
    StaffMenuItem,
)

register_snippet(ContentViewSetGroup)


@hooks.register("register_admin_urls")
def register_preview_as_url() -> list:
    return [path("content/preview-as/", PreviewAsView.as_view(), name=PREVIEW_AS_URL_NAME)]


@hooks.register(CONTENT_MENU_HOOK)
def register_preview_as_menu_item() -> StaffMenuItem:
    return StaffMenuItem(
        "Preview as…", reverse_lazy(PREVIEW_AS_URL_NAME), icon_name="view", order=900
    )
