"""What a fired trigger does: the action rendered (email, webhook body, pop-up), the
actions inside pz (pop-up, static segment) and the delivery of emails and webhooks with
retries and a dead letter."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from content.placeholders import resolve, visitor_values
from content.rendering import render_component
from core import clock
from core.sql_rows import rows_source
from segments.models import Segment
from segments.services import static_members_change
from tracking.profile_entry import ProfileEntry
from triggers import matching, webhook_targets
from triggers.matching import Entry
from triggers.models import (
    DeadLetter,
    Firing,
    PendingMessage,
    Trigger,
)
from triggers.selectors import (
    ONSITE_CACHE_PREFIX,
)
from triggers.services import email
from triggers.services.configuration import webhook_policy


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    retry_in: float | None = None
    error: str = ""


def delivery_error(exc: Exception) -> str:
    """What is stored and shown of a failed delivery: a generic class, never text from
    the far side (no port-scan oracle, no echo of an internal response)."""
    if isinstance(exc, webhook_targets.TargetRefused):
        return f"refused: {exc}"
    if isinstance(exc, webhook_targets.DeliveryFailed):
        return str(exc)
    return type(exc).__name__


def email_address(profile_entry: ProfileEntry | None) -> str:
    """Where a marketing e-mail to this visitor goes: "" without marketing consent, an
    address (a known customer's, or one given with the consent) or when suppressed."""
    return email.recipient(profile_entry)[0]


def placeholder_values(profile_entry: ProfileEntry | None) -> dict[str, Any]:
    state = profile_entry.state if profile_entry else None
    attributes = dict(state.attributes) if state else {}
    context = dict(state.last_context or {}) if state else {}
    return visitor_values(attributes, context, shop_name=settings.PZ_SHOP_NAME)


def webhook_body(
    *, trigger: Trigger, visitor_id: str, occurrence_key: str, entry: Entry | None, now: datetime
) -> bytes:
    payload = {
        "trigger": trigger.key,
        "visitor_id": visitor_id,
        "occurrence": occurrence_key,
        "fired_at": now.isoformat(),
        "entry": (
            {
                "event": entry.event_pk,
                "at": entry.timestamp.isoformat(),
                "properties": entry.properties,
            }
            if entry
            else None
        ),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def render_action(
    *,
    trigger: Trigger,
    visitor_id: str,
    profile_entry: ProfileEntry | None,
    occurrence_key: str,
    entry: Entry | None,
    now: datetime,
    preview: bool = False,
) -> dict[str, Any]:
    """The action as it would be carried out, rendered without doing it. A pop-up's HTML
    only for a preview: the visitor's next request renders it."""
    action = trigger.action
    if action == Trigger.Action.ONSITE:
        if trigger.popup is None:
            return {"type": action, "error": "no component"}
        if not preview:
            return {"type": action, "component": trigger.popup.key}
        fragment = render_component(
            trigger.popup, values=placeholder_values(profile_entry), placement_key="trigger-popup"
        )
        return {"type": action, "component": trigger.popup.key, "html": fragment.html}
    if action == Trigger.Action.EMAIL:
        # The firing records recipient and subject; the e-mail itself (cart, products,
        # a unique code) is rendered when it is sent, or here for a preview.
        template = trigger.email_template
        values = placeholder_values(profile_entry)
        subject = resolve(template.subject, values, escape=False) if template else None
        rendered: dict[str, Any] = {
            "type": action,
            "to": email_address(profile_entry),
            "subject": subject.text if subject else "",
            "unknown_tokens": subject.unknown if subject else [],
        }
        if preview and template is not None:
            mail = email.render_email(
                template=template,
                visitor_id=visitor_id,
                profile_entry=profile_entry,
                to=rendered["to"],
                now=now,
            )
            rendered |= {
                "body": mail.text,
                "html": mail.html,
                "unknown_tokens": mail.unknown_tokens,
            }
        return rendered
    if action == Trigger.Action.WEBHOOK:
        body_bytes = webhook_body(
            trigger=trigger,
            visitor_id=visitor_id,
            occurrence_key=occurrence_key,
            entry=entry,
            now=now,
        )
        return {
            "type": action,
            "url": trigger.webhook_url,
            "body": body_bytes.decode(),
            "signature": matching.sign(trigger.webhook_secret, body_bytes),
        }
    return {"type": action, "segment": trigger.segment.key if trigger.segment else None}


# The columns of a pending pop-up with their PostgreSQL types.
PENDING_MESSAGE_TYPES = (
    ("visitor_id", "text"),
    ("trigger_id", "bigint"),
    ("firing_id", "bigint"),
    ("component_id", "bigint"),
    ("created_at", "timestamptz"),
    ("expires_at", "timestamptz"),
)


def act_locally(fired: list[Firing], now: datetime) -> None:
    """Actions inside pz happen in the firings' transaction, so they commit with them."""
    popups = {
        f.visitor_id: f
        for f in fired
        if f.trigger.action == Trigger.Action.ONSITE and f.trigger.popup_id
    }  # a visitor's newest pop-up wins
    if popups:
        ttl = settings.PZ_TRIGGERS_ONSITE_TTL_SECONDS
        expires = now + timedelta(seconds=ttl)
        rows = [
            [visitor_id, f.trigger_id, f.pk, f.trigger.popup_id, now, expires]
            for visitor_id, f in popups.items()
        ]
        # One upsert from a JSON rows parameter: bulk_create prepares each field of
        # each row through the ORM, which cost more than the statement.
        source, params = rows_source(rows, PENDING_MESSAGE_TYPES, "m")
        table = connection.ops.quote_name(PendingMessage._meta.db_table)
        columns = ", ".join(name for name, _ in PENDING_MESSAGE_TYPES)
        updates = ", ".join(f"{name} = excluded.{name}" for name, _ in PENDING_MESSAGE_TYPES[1:])
        with connection.cursor() as cursor:
            cursor.execute(
                # WHERE true: SQLite reads ON after a FROM as a join's unless a WHERE comes first.
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {source} WHERE true "  # noqa: S608 - fixed names
                f"ON CONFLICT (visitor_id) DO UPDATE SET {updates}",
                params,
            )
        values = {ONSITE_CACHE_PREFIX + v: f.trigger.popup_id for v, f in popups.items()}
        transaction.on_commit(lambda: cache.set_many(values, ttl))
    changes: dict[tuple[int, str], list[Firing]] = {}
    for firing in fired:
        if firing.trigger.action in (Trigger.Action.SEGMENT_ADD, Trigger.Action.SEGMENT_REMOVE):
            key = (firing.trigger.segment_id, firing.trigger.action)
            changes.setdefault(key, []).append(firing)
    for (segment_id, action), firings in changes.items():
        members = [f.visitor_id for f in firings]
        # Read afresh: the trigger's own segment is shared by the per-process catalog, and
        # a membership change writes the segment's size.
        segment = Segment.objects.get(pk=segment_id)
        if action == Trigger.Action.SEGMENT_ADD:
            static_members_change(segment=segment, add=members)
        else:
            static_members_change(segment=segment, remove=members)


def schedule_delivery(firing_id: int) -> None:
    from triggers.tasks import deliver_firing_task

    deliver_firing_task.delay(firing_id)


def onsite_message_shown(*, visitor_id: str) -> None:
    """The visitor saw their pending pop-up: it is not shown again."""
    PendingMessage.objects.filter(visitor_id=visitor_id).delete()
    cache.delete(ONSITE_CACHE_PREFIX + visitor_id)


def deliver(*, firing_id: int, attempt: int, now: datetime | None = None) -> DeliveryOutcome:
    """Send a fired email or webhook (attempt is 1-based). A webhook that fails is retried
    with exponential backoff; after the last attempt the firing is dead and a dead letter
    keeps the body."""
    now = now or clock.now()
    firing = (
        Firing.objects.select_related("trigger", "trigger__email_template")
        .filter(pk=firing_id)
        .first()
    )
    if firing is None:  # deleted with its trigger meanwhile
        return DeliveryOutcome(delivered=False, error="firing deleted")
    trigger = firing.trigger
    if firing.status != Firing.Status.FIRED or firing.delivered_at is not None:
        return DeliveryOutcome(delivered=firing.delivered_at is not None)
    action = firing.result.get("action") or {}
    Firing.objects.filter(pk=firing.pk).update(attempts=attempt)
    is_email = trigger.action == Trigger.Action.EMAIL
    try:
        if is_email:
            with transaction.atomic():
                # The row lock makes a redelivered task wait, then find it delivered.
                locked = Firing.objects.select_for_update().get(pk=firing.pk)
                if locked.delivered_at is not None or locked.status != Firing.Status.FIRED:
                    return DeliveryOutcome(delivered=locked.delivered_at is not None)
                result: dict[str, Any] = email.send_firing_email(firing=firing, now=now)
                if "skipped" in result:
                    # Consent withdrawn or address suppressed during the wait.
                    Firing.objects.filter(pk=firing.pk).update(
                        status=Firing.Status.SKIPPED, reason=result["skipped"][:200]
                    )
                    return DeliveryOutcome(delivered=False, error=result["skipped"])
                Firing.objects.filter(pk=firing.pk).update(
                    delivered_at=now,
                    result={
                        **firing.result,
                        "action": {
                            **action,
                            "subject": result.pop("subject"),
                            "body": result.pop("body"),
                        },
                        "delivery": result,
                    },
                )
            return DeliveryOutcome(delivered=True)
        result = {"status_code": _post_webhook(trigger, action["body"].encode())}
    except Exception as exc:  # noqa: BLE001 - any failure of the channel is recorded
        error = delivery_error(exc)[:1000]
        max_attempts = (
            settings.PZ_EMAIL_MAX_ATTEMPTS
            if is_email
            else min(trigger.webhook_max_attempts, webhook_targets.MAX_ATTEMPTS)
        )
        last = (
            isinstance(exc, webhook_targets.TargetRefused)  # refused again on a retry
            or attempt >= max_attempts
        )
        if not last:
            Firing.objects.filter(pk=firing.pk).update(reason=f"attempt {attempt}: {error}"[:200])
            return DeliveryOutcome(
                delivered=False,
                retry_in=matching.backoff_seconds(
                    attempt, base=settings.PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS
                ),
                error=error,
            )
        with transaction.atomic():
            DeadLetter.objects.update_or_create(
                firing=firing,
                defaults={
                    "url": f"mailto:{action.get('to', '')}" if is_email else trigger.webhook_url,
                    "body": action.get("subject", "") if is_email else action.get("body", ""),
                    "attempts": attempt,
                    "last_error": error,
                },
            )
            Firing.objects.filter(pk=firing.pk).update(
                status=Firing.Status.DEAD, reason=error[:200]
            )
        return DeliveryOutcome(delivered=False, error=error)
    Firing.objects.filter(pk=firing.pk).update(
        delivered_at=now, result={**firing.result, "delivery": result}
    )
    return DeliveryOutcome(delivered=True)


def _post_webhook(trigger: Trigger, body: bytes) -> int:
    return webhook_targets.post_json(
        trigger.webhook_url,
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": "pz-triggers",
            matching.SIGNATURE_HEADER: matching.sign(trigger.webhook_secret, body),
        },
        policy=webhook_policy(),
        timeout=trigger.webhook_timeout_seconds,
    )
