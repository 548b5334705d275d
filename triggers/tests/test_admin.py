"""Admin: list with counts, create with validation, test-fire without side effects, toggle."""

import pytest
from django.core import mail

from triggers.models import Firing, Trigger
from triggers.tests.factories import email_trigger, ingest, known_visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    client.force_login(user)
    return client


def test_list_and_test_fire_page(admin_client):
    known_visitor()
    trigger = email_trigger(wait_seconds=0)
    ingest("add_to_cart")  # not through the signal: nothing fires

    index = admin_client.get("/admin/triggers/")
    assert index.status_code == 200 and b"cart" in index.content

    page = admin_client.get(f"/admin/triggers/{trigger.pk}/test/", {"visitor_id": "v1"})
    assert page.status_code == 200
    assert b"Would fire" in page.content and b"v1@example.com" in page.content
    assert not Firing.objects.exists() and mail.outbox == []


def test_create_refuses_an_invalid_rule_and_a_missing_action_target(admin_client):
    response = admin_client.post(
        "/admin/triggers/new/",
        {
            "name": "Bad",
            "key": "bad",
            "kind": "event",
            "entry_event": "add_to_cart",
            "wait_seconds": 0,
            "conditions": '{"field": "profile.orders", "op": "nope", "value": 1}',
            "frequency_cap_count": 1,
            "frequency_cap_seconds": 60,
            "consent": "tracking",
            "action": "email",
            "webhook_timeout_seconds": 5,
            "webhook_max_attempts": 3,
        },
    )
    assert response.status_code == 200
    assert not Trigger.objects.exists()
    assert b"Choose the email template" in response.content


def test_toggle_switches_enabled(admin_client):
    trigger = email_trigger()
    response = admin_client.post(f"/admin/triggers/{trigger.pk}/toggle/")
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert not trigger.enabled
