"""Wagtail registrations of personalization: the audit log's custom actions."""

from typing import Any

from wagtail import hooks
from wagtail.log_actions import LogFormatter

from personalization.audit import EXPERIMENT_ACTIONS


class ChangeFormatter(LogFormatter):
    """Shows the changed fields (before → after) as the entry's comment."""

    def format_comment(self, log_entry: Any) -> str:
        data = log_entry.data or {}
        before, after = data.get("before") or {}, data.get("after") or {}
        return "; ".join(f"{name}: {before.get(name)!r} → {after.get(name)!r}" for name in after)


@hooks.register("register_log_actions")
def register_audit_actions(actions: Any) -> None:
    for action, (label, message) in EXPERIMENT_ACTIONS.items():
        formatter = type("AuditFormatter", (ChangeFormatter,), {"label": label, "message": message})
        actions.register_action(action)(formatter)
