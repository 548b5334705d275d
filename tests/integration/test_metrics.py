"""/metrics: protected, and counting what the public API did."""

import json

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

from tracking.tests.factories import make_event

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@override_settings(PZ_METRICS_ALLOWED_IPS=[], PZ_METRICS_TOKEN="")
def test_metrics_are_refused_to_clients_off_the_allow_list(client):
    response = client.get("/metrics")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@override_settings(PZ_METRICS_ALLOWED_IPS=[], PZ_METRICS_TOKEN="s3cret-token")
def test_metrics_are_served_with_the_token(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_an_ingest_is_counted_and_exposed(client, server_api_client):
    before = {
        "ingested": sample("pz_events_ingested_total"),
        "rejected": sample("pz_events_rejected_total", reason="invalid"),
    }
    body = {"events": [make_event(), make_event("search"), {"type": "nope", "visitor_id": "v1"}]}
    response = server_api_client.post(
        "/api/v1/events", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 202

    assert sample("pz_events_ingested_total") == before["ingested"] + 2
    assert sample("pz_events_rejected_total", reason="invalid") == before["rejected"] + 1
    text = client.get("/metrics").content.decode()  # the test client is 127.0.0.1
    assert "pz_events_ingested_total" in text
    assert 'pz_http_request_duration_seconds_count{method="POST",route="api-events"}' in text


def test_a_refused_batch_is_counted_once(client):
    before = sample("pz_events_rejected_total", reason="batch")
    client.post("/api/v1/events", "{not json", content_type="application/json")
    assert sample("pz_events_rejected_total", reason="batch") == before + 1


def test_decide_latency_is_observed(client):
    before = sample("pz_decide_duration_seconds_count")
    client.post(
        "/api/v1/decide",
        json.dumps({"visitor_id": "v1", "placements": ["home-hero"]}),
        content_type="application/json",
    )
    assert sample("pz_decide_duration_seconds_count") == before + 1


def test_unknown_paths_share_one_route_label(client):
    client.get("/no/such/page/abc")
    client.get("/no/such/page/def")
    text = client.get("/metrics").content.decode()
    assert "/no/such" not in text
    assert 'route="unmatched"' in text


def test_celery_task_durations_are_recorded():
    from observability.celery_metrics import task_finished, task_started

    class Task:
        name = "tracking.tasks.example_task"

    labels = {"task": Task.name, "state": "SUCCESS"}
    before = sample("pz_celery_task_duration_seconds_count", **labels)
    task_started(task_id="t-1")
    task_finished(task_id="t-1", task=Task(), state="SUCCESS")
    task_finished(task_id="t-unknown", task=Task(), state="SUCCESS")  # no prerun: ignored
    assert sample("pz_celery_task_duration_seconds_count", **labels) == before + 1
