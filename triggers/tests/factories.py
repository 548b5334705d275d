"""Triggers, visitors and entry events for trigger tests."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from tracking.models import VisitorProfile
from tracking.services import ingest_events
from tracking.tests.factories import iso, make_event
from triggers.models import EmailTemplate, Trigger


def known_visitor(visitor_id: str = "v1", **attributes: Any) -> VisitorProfile:
    return VisitorProfile.objects.create(
        visitor_id=visitor_id,
        bucketing_id=visitor_id,
        customer_key=f"key-{visitor_id}",
        consent_marketing_email=True,
        attributes={"email": f"{visitor_id}@example.com", "first_name": "Ada", **attributes},
    )


def email_trigger(key: str = "cart", **fields: Any) -> Trigger:
    template, _ = EmailTemplate.objects.get_or_create(
        key="reminder",
        defaults={
            "name": "Reminder",
            "subject": 'Hi {{ visitor.first_name|default:"there" }}',
            "body": "Your cart at {{ shop.name }} {{ settings.SECRET_KEY }}",
        },
    )
    defaults: dict[str, Any] = {
        "name": key,
        "enabled": True,
        "entry_event": "add_to_cart",
        "wait_seconds": 30 * 60,
        "cancel_event": "purchase",
        "conditions": {"field": "profile.cart.items", "op": "gt", "value": 0},
        "action": Trigger.Action.EMAIL,
        "email_template": template,
    }
    return Trigger.objects.create(key=key, **{**defaults, **fields})


def webhook_trigger(url: str, key: str = "hook", **fields: Any) -> Trigger:
    defaults: dict[str, Any] = {
        "name": key,
        "enabled": True,
        "entry_event": "add_to_cart",
        "action": Trigger.Action.WEBHOOK,
        "webhook_url": url,
        "webhook_secret": "s3cret",
        "webhook_timeout_seconds": 2.0,
        "webhook_max_attempts": 3,
    }
    return Trigger.objects.create(key=key, **{**defaults, **fields})


def ingest(*types: str, visitor_id: str = "v1", at: datetime | None = None) -> None:
    at = at or timezone.now()
    events = [make_event(t, visitor_id=visitor_id, timestamp=iso(at)) for t in types]
    result = ingest_events(events)
    assert result.accepted == len(types), result.rejected
