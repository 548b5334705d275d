"""The read-only Audience screens in the Wagtail admin."""

import json

import pytest

from tracking.tests.factories import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    client.force_login(user)
    return client


def test_staff_see_visitors_and_events(admin_client, server_api_client):
    server_api_client.post(
        "/api/v1/events",
        data=json.dumps({"events": [make_event(visitor_id="v-admin")]}),
        content_type="application/json",
    )
    visitors = admin_client.get("/admin/visitors/")
    assert visitors.status_code == 200 and b"v-admin" in visitors.content
    events = admin_client.get("/admin/events/")
    assert events.status_code == 200 and b"product_view" in events.content


def test_visitors_cannot_be_edited_or_added_from_the_admin(admin_client):
    for url in ("/admin/visitors/new/", "/admin/events/new/"):
        assert admin_client.get(url).status_code in (302, 403, 404)


def test_non_staff_are_sent_to_login(client):
    assert client.get("/admin/visitors/").status_code == 302
