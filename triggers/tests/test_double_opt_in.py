"""Double opt-in: marketing consent counts only once the e-mailed link is followed."""

import re

import pytest
from django.core import mail
from django.test import override_settings

from tracking.models import VisitorProfile
from tracking.selectors import cache_entry, marketing_email_of

pytestmark = pytest.mark.django_db


def marketing(visitor_id: str) -> dict:
    return marketing_email_of(cache_entry(VisitorProfile.objects.get(visitor_id=visitor_id)))


@override_settings(PZ_EMAIL_DOUBLE_OPT_IN=True)
def test_consent_waits_for_the_confirmation_link(
    server_api_client, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = server_api_client.post(
            "/api/v1/consent",
            {"visitor_id": "v1", "marketing_email": True, "email": "ana@example.com"},
            format="json",
        )
    assert response.status_code == 200 and response.json()["marketing_email"] is False
    assert marketing("v1") == {"consent": False, "address": "ana@example.com"}

    (message,) = mail.outbox
    assert message.to == ["ana@example.com"]
    path = re.search(r"http://127\.0\.0\.1:8000(/email/confirm/\S+/)", message.body).group(1)
    assert client.get(path).status_code == 200 and marketing("v1")["consent"] is False
    assert client.post(path).status_code == 200

    assert marketing("v1") == {"consent": True, "address": "ana@example.com"}
    profile = VisitorProfile.objects.get(visitor_id="v1")
    assert profile.consent_marketing_email_source == "api:server"
    assert profile.consent_marketing_email_confirmed_at is not None
    assert client.post("/email/confirm/forged/").status_code == 400
