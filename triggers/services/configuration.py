"""The one write path of triggers (`trigger_save`, `trigger_delete`,
`trigger_set_enabled`): validation and the audit trail live here, so the admin, the
built-ins and the demo loader behave alike."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction

from core import clock
from core.audit import record_change, snapshot
from core.config_version import bump_config_version
from core.errors import Invalid
from segments.conditions import (
    context_fields,
    validate_rule,
)
from segments.field_registry import current_registry
from segments.models import Segment
from segments.selectors import sql_compiler
from segments.sql import NotMaterializable
from triggers import webhook_targets
from triggers.models import (
    Trigger,
)


def webhook_policy() -> webhook_targets.TargetPolicy:
    """The deployment's webhook target policy (see `triggers.webhook_targets`)."""
    return webhook_targets.TargetPolicy(
        allow_http=settings.PZ_WEBHOOK_ALLOW_HTTP,
        allowed_hosts=frozenset(settings.PZ_WEBHOOK_ALLOWED_HOSTS),
    )


# The action targets a disabled draft may still lack (see `trigger_save`).
ACTION_TARGETS = ("popup", "email_template", "segment")


class TriggerError(Invalid):
    """A trigger that cannot be saved or enabled (400); `fields` maps fields to reasons."""


def trigger_errors(trigger: Trigger, *, draft: bool = False) -> dict[str, str]:
    """What makes a trigger unusable, by field (the admin form shows them). A `draft`
    (disabled, saved by code) may lack its action target: the built-in pop-up triggers
    wait for the shop's first pop-up component."""
    errors = _all_trigger_errors(trigger)
    if draft:
        for name in ACTION_TARGETS:
            if getattr(trigger, f"{name}_id") is None:
                errors.pop(name, None)
    return errors


def _all_trigger_errors(trigger: Trigger) -> dict[str, str]:
    errors: dict[str, str] = {}
    registry = current_registry()
    if trigger.kind == Trigger.Kind.EVENT and not trigger.entry_event:
        errors["entry_event"] = "An event trigger needs an entry event."
    for name in ("entry_event", "cancel_event"):
        value = getattr(trigger, name)
        if value and value not in registry.event_type_names:
            errors[name] = f"Unknown event type {value!r}: register it under Custom event types."
    if trigger.kind == Trigger.Kind.SWEEP and not trigger.conditions:
        errors["conditions"] = "A sweep needs conditions that pick its visitors."
    if trigger.conditions:
        rule_errors = validate_rule(trigger.conditions, registry=registry)
        if rule_errors:
            errors["conditions"] = "; ".join(f"{e.path or 'rule'}: {e.reason}" for e in rule_errors)
        elif trigger.kind == Trigger.Kind.SWEEP:
            problem = sweep_conditions_problem(trigger.conditions)
            if problem:
                errors["conditions"] = problem
    if (trigger.quiet_start_hour is None) != (trigger.quiet_end_hour is None):
        errors["quiet_end_hour"] = "Give both ends of the quiet hours, or neither."
    action = trigger.action
    if action == Trigger.Action.ONSITE:
        if trigger.popup_id is None:
            errors["popup"] = "Choose the pop-up component to show."
        elif trigger.popup.kind != "popup":
            errors["popup"] = "The component must be a pop-up."
    if action == Trigger.Action.EMAIL and trigger.email_template_id is None:
        errors["email_template"] = "Choose the email template."
    if action == Trigger.Action.WEBHOOK:
        if not trigger.webhook_url:
            errors["webhook_url"] = "Give the URL to call."
        else:
            try:
                webhook_targets.check_target(trigger.webhook_url, webhook_policy())
            except webhook_targets.TargetRefused as exc:
                errors["webhook_url"] = str(exc)
        low, high = webhook_targets.MIN_TIMEOUT_SECONDS, webhook_targets.MAX_TIMEOUT_SECONDS
        if not low <= trigger.webhook_timeout_seconds <= high:
            errors["webhook_timeout_seconds"] = f"Give {low:g} to {high:g} seconds."
        if not 1 <= trigger.webhook_max_attempts <= webhook_targets.MAX_ATTEMPTS:
            errors["webhook_max_attempts"] = f"Give 1 to {webhook_targets.MAX_ATTEMPTS} attempts."
        if not trigger.webhook_secret:
            errors["webhook_secret"] = "Give a secret to sign the body with."  # noqa: S105 - a message
    if action in (Trigger.Action.SEGMENT_ADD, Trigger.Action.SEGMENT_REMOVE):
        if trigger.segment_id is None:
            errors["segment"] = "Choose the static segment."
        elif trigger.segment.kind != "static":
            errors["segment"] = "Only static segments take explicit members."
    return errors


def sweep_conditions_problem(conditions: Any) -> str:
    """Why a sweep cannot evaluate these conditions, or "": a sweep runs on a schedule,
    with no request, so it can only read what is stored (compiled to SQL)."""
    rules = dict(Segment.objects.filter(kind=Segment.Kind.RULE).values_list("key", "rule"))
    fields = context_fields(conditions, rules=rules)
    if fields:
        return (
            "A sweep runs without a request, so its conditions cannot read the request "
            f"context ({', '.join(sorted(fields))}); use an event trigger for those."
        )
    try:
        sql_compiler(clock.now()).compile(conditions)
    except NotMaterializable as exc:
        return f"A sweep can only use conditions on stored data: {exc}"
    return ""


def forget_trigger_catalog() -> None:
    """A trigger, pop-up or template changed: every process rebuilds its trigger catalog
    (now, and again once the change is committed, so none keeps what it read before)."""
    bump_config_version()
    transaction.on_commit(bump_config_version)


AUDITED_FIELDS = (
    "name",
    "key",
    "enabled",
    "kind",
    "entry_event",
    "wait_seconds",
    "cancel_event",
    "conditions",
    "frequency_cap_count",
    "frequency_cap_seconds",
    "daily_cap",
    "control_share",
    "quiet_start_hour",
    "quiet_end_hour",
    "consent",
    "action",
    "popup",
    "email_template",
    "webhook_url",
    "webhook_timeout_seconds",
    "webhook_max_attempts",
    "segment",
)


def trigger_snapshot(trigger: Trigger) -> dict[str, Any]:
    """The audited fields of a trigger; the webhook secret only as a fingerprint, so a
    rotation shows in the log and the secret does not."""
    values = snapshot(trigger, AUDITED_FIELDS)
    secret = trigger.webhook_secret
    values["webhook_secret"] = (
        "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:8] if secret else ""
    )
    return values


def record_trigger_change(
    *, trigger: Trigger, action: str, user: Any = None, before: dict[str, Any] | None = None
) -> None:
    """Audit a create, edit or delete of a trigger (who, when, fields before and after)."""
    deleted = action == "wagtail.delete"
    record_change(
        instance=trigger,
        action=action,
        user=user,
        before=before,
        after=None if deleted else trigger_snapshot(trigger),
        deleted=deleted,
    )


def _check(trigger: Trigger) -> None:
    errors = trigger_errors(trigger, draft=not trigger.enabled)
    if errors:
        raise TriggerError("The trigger is not usable.", errors)


@transaction.atomic
def trigger_save(*, trigger: Trigger, user: Any = None) -> Trigger:
    """Validate and save a new or changed trigger, audited as made by `user` (None: the
    system) with the fields before and after; an unchanged save logs nothing. Raises
    `TriggerError` naming the fields; only a disabled trigger may lack its action target."""
    _check(trigger)
    stored = Trigger.objects.filter(pk=trigger.pk).first() if trigger.pk else None
    before = trigger_snapshot(stored) if stored else None
    trigger.save()
    if before is None:
        record_trigger_change(trigger=trigger, action="wagtail.create", user=user)
    elif before != trigger_snapshot(trigger):
        record_trigger_change(trigger=trigger, action="wagtail.edit", user=user, before=before)
    return trigger


@transaction.atomic
def trigger_delete(*, trigger: Trigger, user: Any = None) -> None:
    """Delete a trigger (its firings go with it), audited as made by `user`."""
    record_trigger_change(
        trigger=trigger, action="wagtail.delete", user=user, before=trigger_snapshot(trigger)
    )
    trigger.delete()


@transaction.atomic
def trigger_set_enabled(*, trigger: Trigger, enabled: bool, user: Any = None) -> Trigger:
    """Switch a trigger on or off. A disabled trigger starts nothing new and its waiting
    occurrences are cancelled when their check comes; enabling checks it in full."""
    before = trigger_snapshot(trigger)
    trigger.enabled = enabled
    _check(trigger)
    trigger.save(update_fields=["enabled", "updated_at"])
    record_trigger_change(trigger=trigger, action="wagtail.edit", user=user, before=before)
    return trigger
