"""Audit trail of staff changes, kept in Wagtail's log (Reports → Site history).

Services record every change they make to segments, experiments and triggers here, so
changes through the API, the admin and code are logged alike: who, what, when, and the
changed fields before and after. Wagtail itself logs snippet edits and publishing;
content/audit.py adds the field-level change of every content publish. Each app names
its custom actions (label, message) and registers them from its Wagtail hooks with
`register_change_actions`.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from wagtail.log_actions import LogActionRegistry, LogFormatter, log


def _plain(value: Any) -> Any:
    """A JSON-safe copy: model instances become their key (or pk), dates ISO strings."""
    if isinstance(value, models.Model):
        return getattr(value, "key", None) or value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The audited fields of `instance` as a JSON-safe dict."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs, as (before, after); a field missing on one
    side (nothing before a creation, nothing after a deletion) stays missing."""
    names = [name for name in after if name not in before or before[name] != after[name]]
    names += [name for name in before if name not in after]
    return (
        {name: before[name] for name in names if name in before},
        {name: after[name] for name in names if name in after},
    )


def record_change(
    *,
    instance: models.Model,
    action: str,
    user: Any = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    deleted: bool = False,
) -> Any:
    """Log `action` on `instance` by `user` (None: a system change, or the user of the
    active Wagtail log context) with the fields that changed before and after."""
    old, new = changes(_plain(before or {}), _plain(after or {}))
    return log(
        instance=instance,
        action=action,
        user=user if getattr(user, "pk", None) else None,
        data={"before": old, "after": new},
        content_changed=True,
        deleted=deleted,
    )


class ChangeFormatter(LogFormatter):
    """Shows the changed fields (before → after) as the entry's comment."""

    def format_comment(self, log_entry: Any) -> str:
        data = log_entry.data or {}
        before, after = data.get("before") or {}, data.get("after") or {}
        return "; ".join(f"{name}: {before.get(name)!r} → {after.get(name)!r}" for name in after)


def register_change_actions(
    actions: LogActionRegistry,
    labels: Mapping[str, tuple[str, str]],
    formatter: type[LogFormatter] = ChangeFormatter,
) -> None:
    """Register custom log actions `{action: (label, message)}` (from a
    `register_log_actions` hook), each shown with `formatter`."""
    for action, (label, message) in labels.items():
        attributes = {"label": label, "message": message}
        actions.register_action(action)(
            type(f"{formatter.__name__}Action", (formatter,), attributes)
        )
