"""The GDPR export holds what triggers stored about the visitor: the e-mail's recipient,
subject and rendered body, a webhook's payload and its dead letter, pending pop-ups;
erasure removes them all."""

import json

import pytest
from django.test import override_settings

from tracking.services import erase_visitor, export_visitor
from triggers.models import DeadLetter, Firing
from triggers.tests.factories import email_trigger, ingest, known_visitor, webhook_trigger

pytestmark = pytest.mark.django_db


def test_an_email_firing_is_exported_with_recipient_and_rendered_body(
    django_capture_on_commit_callbacks,
):
    known_visitor("v1", first_name="Grace")
    email_trigger(wait_seconds=0)
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")

    (firing,) = export_visitor(visitor_id="v1")["sections"]["triggers"]["firings"]

    assert firing["status"] == "fired" and firing["delivered_at"]
    assert firing["sent"]["to"] == "v1@example.com"
    assert firing["sent"]["subject"] == "Hi Grace"
    assert "\nYour cart at pz gift shop\n" in firing["sent"]["body"]
    assert firing["delivery"] == {"sent_to": "v1@example.com", "coupon": None}


@override_settings(PZ_WEBHOOK_ALLOW_HTTP=True, PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.01)
def test_a_webhook_payload_and_its_dead_letter_are_exported_then_erased(
    django_capture_on_commit_callbacks,
):
    known_visitor("v1")
    # A loopback target is refused by the policy: the firing dies at its first attempt
    # with its payload kept as a dead letter.
    webhook_trigger("http://127.0.0.1:9/hook")
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")

    (firing,) = export_visitor(visitor_id="v1")["sections"]["triggers"]["firings"]
    payload = json.loads(firing["sent"]["body"])
    assert payload["visitor_id"] == "v1" and payload["trigger"] == "hook"
    assert firing["sent"]["url"] == "http://127.0.0.1:9/hook"
    assert "signature" not in firing["sent"]
    assert json.loads(firing["dead_letter"]["body"])["visitor_id"] == "v1"
    assert payload["entry"]["properties"]["product_id"] == "SKU-1"

    erase_visitor(visitor_id="v1")
    assert not Firing.objects.exists() and not DeadLetter.objects.exists()
    assert export_visitor(visitor_id="v1")["sections"]["triggers"]["firings"] == []
