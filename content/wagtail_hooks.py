from typing import Any

from wagtail import hooks
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet

from content.admin_viewsets import ContentViewSetGroup
from content.audit import CONTENT_ACTIONS
from core.audit import register_change_actions

register_snippet(ContentViewSetGroup)


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
