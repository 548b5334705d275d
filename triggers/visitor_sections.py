"""Triggers' share of a visitor's data: the firing log with what each firing rendered
and sent (recipient, subject and body of an e-mail, a webhook's payload, the entry
event's properties, the delivery outcome), dead letters, pending pop-ups, cap locks."""

from typing import Any

from core.visitor_data import VisitorDataSection, register_section
from triggers.models import (
    Coupon,
    DeadLetter,
    EmailEvent,
    EmailSend,
    Firing,
    PendingMessage,
    TriggerVisitorLock,
)

# What a firing's stored action holds about the visitor, by action type; the webhook
# signature is left out (a keyed hash of the payload, no data of its own).
SENT_FIELDS = ("type", "to", "subject", "body", "url", "component", "segment")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _sent(result: dict[str, Any]) -> dict[str, Any] | None:
    action = result.get("action")
    if not isinstance(action, dict):
        return None
    return {name: action[name] for name in SENT_FIELDS if name in action}


def _export(ids: list[str]) -> dict[str, Any]:
    firings = (
        Firing.objects.filter(visitor_id__in=ids)
        .select_related("trigger")
        .order_by("created_at", "pk")
    )
    letters = {
        letter.firing_id: letter for letter in DeadLetter.objects.filter(firing__visitor_id__in=ids)
    }
    exported = []
    for firing in firings:
        letter = letters.get(firing.pk)
        exported.append(
            {
                "trigger": firing.trigger.key,
                "visitor_id": firing.visitor_id,
                "status": firing.status,
                "reason": firing.reason,
                "created_at": _iso(firing.created_at),
                "decided_at": _iso(firing.decided_at),
                "delivered_at": _iso(firing.delivered_at),
                "entry": (firing.result.get("entry") or None),
                "sent": _sent(firing.result),
                "delivery": firing.result.get("delivery"),
                "dead_letter": (
                    {"url": letter.url, "body": letter.body, "last_error": letter.last_error}
                    if letter
                    else None
                ),
            }
        )
    pending = [
        {
            "visitor_id": message.visitor_id,
            "component": message.component.key,
            "created_at": _iso(message.created_at),
            "expires_at": _iso(message.expires_at),
        }
        for message in PendingMessage.objects.filter(visitor_id__in=ids).select_related("component")
    ]
    sends = EmailSend.objects.filter(visitor_id__in=ids).prefetch_related("events")
    emails = [
        {
            "firing": send.firing_id,
            "sent_at": _iso(send.sent_at),
            "status": send.status,
            "opened_at": _iso(send.opened_at),
            "clicked_at": _iso(send.clicked_at),
            "events": [
                {"kind": e.kind, "at": _iso(e.occurred_at), "detail": e.detail}
                for e in send.events.all()
            ],
        }
        for send in sends
    ]
    coupons = [
        {
            "code": coupon.code,
            "offer": coupon.offer.key,
            "issued_at": _iso(coupon.issued_at),
            "expires_at": _iso(coupon.expires_at),
            "redeemed_at": _iso(coupon.redeemed_at),
        }
        for coupon in Coupon.objects.filter(visitor_id__in=ids).select_related("offer")
    ]
    return {
        "firings": exported,
        "pending_messages": pending,
        "emails": emails,
        "coupons": coupons,
    }


def _erase(ids: list[str]) -> None:
    PendingMessage.objects.filter(visitor_id__in=ids).delete()
    Firing.objects.filter(visitor_id__in=ids).delete()  # cascades: dead letters, e-mails
    # A code stays valid for whoever holds it, but no longer says whose it was.
    Coupon.objects.filter(visitor_id__in=ids).update(visitor_id="")
    TriggerVisitorLock.objects.filter(visitor_id__in=ids).delete()


def register_trigger_sections() -> None:
    register_section(
        VisitorDataSection(
            name="triggers",
            models=(
                Firing,
                PendingMessage,
                TriggerVisitorLock,
                DeadLetter,
                EmailSend,
                EmailEvent,
                Coupon,
            ),
            export=_export,
            erase=_erase,
        )
    )
