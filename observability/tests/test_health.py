"""Liveness and readiness probes."""

import pytest
from django.test import override_settings

from observability import health
from observability.health import DOWN, OK, SKIPPED, CheckResult

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_dependencies(client, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: pytest.fail("db checked"))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_each_dependency_with_its_latency(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"]["status"] == OK and checks["cache"]["status"] == OK
    # skipped with the in-memory broker; checked for real when CI configures RabbitMQ
    in_memory = settings.CELERY_BROKER_URL.startswith("memory://")
    assert checks["broker"]["status"] == (SKIPPED if in_memory else OK)
    assert all(isinstance(check["latency_ms"], float) for check in checks.values())


def test_readyz_is_503_when_the_database_is_down(client, monkeypatch):
    down = CheckResult(DOWN, 1.0, "OperationalError")
    monkeypatch.setattr(health, "check_database", lambda: down)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {
        "status": DOWN,
        "latency_ms": 1.0,
        "detail": "OperationalError",
    }


def test_a_failing_database_query_is_reported_down(monkeypatch):
    def broken_cursor():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    result = health.check_database()
    assert result.status == DOWN and result.detail == "RuntimeError"


def test_a_broken_cache_degrades_but_keeps_the_service_ready(client, monkeypatch):
    monkeypatch.setattr(health.cache, "get", lambda *args, **kwargs: None)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["cache"]["status"] == "degraded"


@override_settings(CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:1//")
def test_an_unreachable_broker_is_degraded_quickly(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    broker = response.json()["checks"]["broker"]
    assert broker["status"] == "degraded"
    assert broker["latency_ms"] < 3000
