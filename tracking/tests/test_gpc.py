"""Global Privacy Control / Do-Not-Track."""

import inspect
import json

import pytest
from django.test import override_settings

from observability.privacy_signals import privacy_signal
from tracking import services
from tracking.models import Event
from tracking.tests.factories import make_event


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Sec-GPC": "1"}, True),
        ({"DNT": "1"}, True),
        ({"Sec-GPC": "0", "DNT": "0"}, False),
        ({}, False),
    ],
)
def test_privacy_signal(headers, expected):
    assert privacy_signal(headers) is expected


@pytest.mark.django_db
def test_the_request_carries_the_flag(client):
    assert client.get("/healthz", HTTP_SEC_GPC="1").wsgi_request.pz_gpc is True
    assert client.get("/healthz", HTTP_DNT="1").wsgi_request.pz_gpc is True
    assert client.get("/healthz").wsgi_request.pz_gpc is False
    with override_settings(PZ_HONOUR_GPC=False):
        assert client.get("/healthz", HTTP_SEC_GPC="1").wsgi_request.pz_gpc is False


@pytest.mark.django_db
@pytest.mark.skipif(
    "gpc" not in inspect.signature(services.ingest_events).parameters,
    reason="tracking.services.ingest_events takes no gpc flag yet (proposed to the lead)",
)
def test_events_of_a_gpc_browser_are_dropped_unless_it_consented(client):
    def post(**headers):
        event = make_event()
        del event["visitor_id"]  # the browser's own visitor
        body = json.dumps({"events": [event]})
        return client.post("/api/v1/events", body, content_type="application/json", **headers)

    first = post(HTTP_SEC_GPC="1").json()
    assert first["dropped_no_consent"] == 1
    assert Event.objects.count() == 0
    services.set_consent(visitor_id=first["visitor_id"], tracking=True)
    assert post(HTTP_SEC_GPC="1").json()["accepted"] == 1
