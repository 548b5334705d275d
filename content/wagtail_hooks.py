from typing import Any

from django.urls import path, reverse_lazy
from wagtail import hooks
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet

from content.admin_views import PreviewAsView
from content.admin_viewsets import (
    CONTENT_MENU_HOOK,
    PREVIEW_AS_URL_NAME,
    ContentViewSetGroup,
    StaffMenuItem,
)
from content.audit import CONTENT_ACTIONS
from core.audit import register_change_actions

register_snippet(ContentViewSetGroup)


@hooks.register("register_admin_urls")
def register_preview_as_url() -> list:
    return [path("content/preview-as/", PreviewAsView.as_view(), name=PREVIEW_AS_URL_NAME)]


@hooks.register(CONTENT_MENU_HOOK)
def register_preview_as_menu_item() -> StaffMenuItem:
    return StaffMenuItem(
        "Preview as…", reverse_lazy(PREVIEW_AS_URL_NAME), icon_name="view", order=900
    )


class PublishFormatter(LogFormatter):
    """Names the published revision and the fields that changed since the live one."""

    def format_comment(self, log_entry: Any) -> str:
        data = log_entry.data or {}
        before, after = data.get("before") or {}, data.get("after") or {}
        changed = sorted((set(before) | set(after)) - {"revision"})
        revisions = f"revision {before.get('revision', '–')} → {after.get('revision', '–')}"
        return f"{revisions}; changed: {', '.join(changed) or 'nothing'}"


@hooks.register("register_log_actions")
def register_content_audit_actions(actions: Any) -> None:
    register_change_actions(actions, CONTENT_ACTIONS, PublishFormatter)
