"""Opens (pixel) and clicks (signed redirect to the shop only) become `email_open` and
`email_click` events of the visitor, counted in the trigger's results; the live
preview renders a template for a chosen visitor."""

import re

import pytest
from django.core import mail

from tracking.models import Event
from triggers.models import EmailSend, Firing
from triggers.selectors import trigger_stats
from triggers.services import trigger_errors
from triggers.services.email import click_url
from triggers.tests.factories import email_trigger, ingest, known_visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks) -> EmailSend:
    known_visitor("v1")
    email_trigger(wait_seconds=0)
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart", visitor_id="v1")
    return EmailSend.objects.get()


def test_the_open_pixel_records_one_open_event(client, sent):
    (message,) = mail.outbox
    pixel = re.search(
        r'<img src="http://127\.0\.0\.1:8000(/email/o/[^"]+)"', message.alternatives[0][0]
    )

    for _ in range(2):
        response = client.get(pixel.group(1))
        assert response.status_code == 200 and response["Content-Type"] == "image/gif"

    sent.refresh_from_db()
    assert sent.opened_at is not None
    (event,) = Event.objects.filter(type="email_open")
    assert event.visitor_id == "v1" and event.properties == {"trigger": "cart"}
    assert trigger_stats([sent.firing.trigger_id])[sent.firing.trigger_id]["emails_opened"] == 1


def test_a_click_is_recorded_and_redirected_to_the_shop_only(client, sent):
    path = click_url(sent.firing_id, "/p/SKU-1/").removeprefix("http://127.0.0.1:8000")

    response = client.get(path)

    assert response.status_code == 302 and response["Location"] == "/p/SKU-1/"
    (event,) = Event.objects.filter(type="email_click")
    assert event.properties == {"trigger": "cart", "url": "/p/SKU-1/"}
    stats = trigger_stats([sent.firing.trigger_id])[sent.firing.trigger_id]
    assert (stats["emails_sent"], stats["emails_clicked"]) == (1, 1)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"],
)
def test_a_click_to_a_foreign_target_is_refused(client, sent, target):
    path = click_url(sent.firing_id, target).removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 400
    assert not Event.objects.filter(type="email_click").exists()


def test_a_tampered_click_token_is_refused(client, sent):
    path = click_url(sent.firing_id, "/cart/").removeprefix("http://127.0.0.1:8000")
    assert client.get(path.replace("/c/", "/c/x")).status_code == 400


def test_email_events_are_rule_and_entry_material():
    trigger = email_trigger(
        entry_event="email_click",
        conditions={"events": {"type": "email_open", "within": "7d"}, "op": "gte", "value": 1},
    )
    assert trigger_errors(trigger) == {}


def test_the_live_preview_renders_for_the_chosen_visitor(admin_client, rf):
    from triggers.builtin import create_builtin_triggers
    from triggers.models import EmailTemplate

    known_visitor("v1", first_name="Grace")
    create_builtin_triggers()
    template = EmailTemplate.objects.get(key="cart-reminder")
    template.preview_visitor_id = "v1"
    template.save()

    edit = admin_client.get(f"/admin/snippets/triggers/emailtemplate/edit/{template.pk}/")
    preview = template.serve_preview(rf.get("/"), template.default_preview_mode)

    body = preview.render().content.decode()
    assert edit.status_code == 200 and "Preview as visitor" in edit.content.decode()
    assert "Hi Grace," in body and "v1@example.com" in body and "PREVIEW-CODE" in body
    assert 'sandbox srcdoc="' in body and "<script" not in body
    assert not Firing.objects.exists() and not mail.outbox
