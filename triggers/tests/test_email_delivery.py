"""Triggered e-mail through anymail: an ESP backend sends it, the ESP's signed tracking
webhook comes back per firing, hard bounces and complaints suppress the address, a
failing backend is retried with backoff into a dead letter, a redelivery sends nothing."""

import hashlib
import hmac
import json
import time

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings

from triggers.models import DeadLetter, EmailEvent, EmailSend, EmailSuppression, Firing
from triggers.services import deliver
from triggers.services.email import is_suppressed
from triggers.tests.factories import email_trigger, ingest, known_visitor

pytestmark = pytest.mark.django_db

SIGNING_KEY = "mailgun-signing-key"
ESP = {
    "PZ_EMAIL_ESP": "mailgun",
    "EMAIL_BACKEND": "anymail.backends.test.EmailBackend",
    "ANYMAIL": {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": "hook:pass"},
}
BASIC_AUTH = "Basic aG9vazpwYXNz"  # hook:pass


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        raise ConnectionError("ESP down")


def fire(capture, visitor_id: str = "v1") -> Firing:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        ingest("add_to_cart", visitor_id=visitor_id)
    return Firing.objects.filter(visitor_id=visitor_id).latest("pk")


def mailgun_event(message_id: str, event: str, token: str, key: str = SIGNING_KEY, **extra):  # type: ignore[no-untyped-def]
    timestamp = str(int(time.time()))
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": event,
            "timestamp": time.time(),
            "id": token,
            "recipient": "v1@example.com",
            "message": {"headers": {"message-id": message_id}},
            **extra,
        },
    }


def post_webhook(client, body, auth: str = BASIC_AUTH):  # type: ignore[no-untyped-def]
    return client.post(
        "/email/esp/mailgun/tracking/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


@override_settings(**ESP)
def test_an_esp_sends_the_email_and_its_signed_webhooks_are_stored_per_firing(
    client, django_capture_on_commit_callbacks
):
    known_visitor("v1")
    email_trigger(wait_seconds=0)
    firing = fire(django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    assert message.anymail_test_params["to"][0].addr_spec == "v1@example.com"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://")
    assert message.alternatives[0][1] == "text/html"
    send = EmailSend.objects.get(firing=firing)
    assert send.esp == "Test" and send.message_id == str(message.anymail_status.message_id)

    delivered = mailgun_event(send.message_id, "delivered", "tok-1")
    assert post_webhook(client, delivered).status_code == 200
    assert post_webhook(client, delivered).status_code == 200  # the ESP retries
    (event,) = EmailEvent.objects.filter(send=send)
    assert (event.kind, event.event_id) == ("delivered", "tok-1")
    send.refresh_from_db()
    assert send.status == "delivered"
    assert not is_suppressed("v1@example.com")


@override_settings(**ESP)
def test_a_webhook_without_a_valid_signature_or_auth_is_refused(
    client, django_capture_on_commit_callbacks
):
    known_visitor("v1")
    email_trigger(wait_seconds=0)
    fire(django_capture_on_commit_callbacks)
    send = EmailSend.objects.get()
    forged = mailgun_event(send.message_id, "complained", "tok-2", key="not-the-key")
    assert post_webhook(client, forged).status_code == 400
    genuine = mailgun_event(send.message_id, "complained", "tok-3")
    assert post_webhook(client, genuine, auth="Basic d3Jvbmc6d3Jvbmc=").status_code == 400
    assert client.post("/email/esp/postmark/tracking/", "{}", "application/json").status_code == 404
    assert not EmailEvent.objects.exists() and not EmailSuppression.objects.exists()


@override_settings(**ESP)
@pytest.mark.parametrize(
    ("event", "extra"),
    [("failed", {"severity": "permanent", "reason": "bounce"}), ("complained", {})],
)
def test_a_hard_bounce_or_a_complaint_suppresses_the_address(
    client, django_capture_on_commit_callbacks, event, extra
):
    known_visitor("v1")
    email_trigger(wait_seconds=0, frequency_cap_count=0)
    fire(django_capture_on_commit_callbacks)
    send = EmailSend.objects.get()
    assert (
        post_webhook(client, mailgun_event(send.message_id, event, "t", **extra)).status_code == 200
    )

    assert is_suppressed("V1@example.com ")
    send.refresh_from_db()
    assert send.status in {"bounced", "complained"}
    # The next occurrence is not sent: the address check fails before anything is written.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", visitor_id="v1")
    assert mail.outbox == []


@override_settings(
    EMAIL_BACKEND="triggers.tests.test_email_delivery.FailingBackend",
    PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.01,
    PZ_EMAIL_MAX_ATTEMPTS=3,
)
def test_a_failing_backend_is_retried_with_backoff_then_dead_lettered(
    django_capture_on_commit_callbacks,
):
    known_visitor("v1")
    email_trigger(wait_seconds=0)
    firing = fire(django_capture_on_commit_callbacks)

    firing.refresh_from_db()
    assert (firing.status, firing.attempts, firing.delivered_at) == ("dead", 3, None)
    letter = DeadLetter.objects.get(firing=firing)
    assert letter.url == "mailto:v1@example.com" and letter.last_error == "ConnectionError"
    assert not EmailSend.objects.exists()


def test_delivery_is_idempotent_per_firing(django_capture_on_commit_callbacks):
    known_visitor("v1")
    email_trigger(wait_seconds=0)
    firing = fire(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1

    outcome = deliver(firing_id=firing.pk, attempt=1)  # a redelivered task

    assert outcome.delivered and len(mail.outbox) == 1
    assert EmailSend.objects.filter(firing=firing).count() == 1


def test_consent_withdrawn_before_the_send_skips_it(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from core import clock
    from tracking.services import set_consent
    from triggers.services import check_firing

    known_visitor("v1")
    email_trigger(wait_seconds=60)
    firing = fire(django_capture_on_commit_callbacks)
    check_firing(firing_id=firing.pk, now=clock.now() + timedelta(minutes=2))  # fired, not sent
    set_consent(visitor_id="v1", marketing_email=False, source="test")

    outcome = deliver(firing_id=firing.pk, attempt=1)

    firing.refresh_from_db()
    assert not outcome.delivered and mail.outbox == []
    assert firing.status == "skipped" and firing.reason == "no marketing e-mail consent"
