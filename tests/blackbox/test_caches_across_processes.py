"""After an erasure or a CRM import in one process, no other process serves the old
profile: two server processes on one database and the shared cache (as two gunicorn
workers would be), changed from a third (the test). Needs PostgreSQL and Redis: the
local-memory cache cannot be shared, which is why production settings refuse it."""

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from conftest import skip_or_fail
from core.callers import visitor_token
from tests.blackbox.conftest import CUSTOMER_ID, CUSTOMER_NAME, GREETING, load_attack_surface
from tests.reliability.conftest import _worker_database_url, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.services


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def two_processes(transactional_db, tmp_path) -> Iterator[list[str]]:
    if connection.vendor != "postgresql":
        skip_or_fail("two server processes need one database: set DATABASE_URL to PostgreSQL")
    if not settings.REDIS_URL:
        skip_or_fail("the shared cache needs REDIS_URL")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
    }
    processes, urls = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = (tmp_path / f"server-{name}.log").open("w")
            processes.append(
                subprocess.Popen(  # noqa: S603 - the project's own manage.py
                    [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                    cwd=ROOT,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            if not wait_until(lambda url=url: _answers(url), timeout=60, interval=0.2):
                pytest.fail(f"the server at {url} did not start: {list(tmp_path.glob('*.log'))}")
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def greeting(url: str, visitor_id: str, server_key: str) -> str:
    response = requests.post(
        f"{url}/api/v1/decide",
        json={"visitor_id": visitor_id, "placements": [GREETING]},
        headers={"Authorization": f"Bearer {server_key}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["placements"][GREETING]["html"]


def test_an_import_and_an_erasure_are_seen_by_every_process(two_processes) -> None:
    from tracking.services import import_customer_attributes

    first, second = two_processes
    visitor_id, server_key = load_attack_surface()
    assert f"Hello {CUSTOMER_NAME}" in greeting(first, visitor_id, server_key)  # cached now
    assert f"Hello {CUSTOMER_NAME}" in greeting(second, visitor_id, server_key)

    import_customer_attributes(io.StringIO(f"customer_id,first_name\n{CUSTOMER_ID},Grace\n"))
    assert "Hello Grace" in greeting(first, visitor_id, server_key)
    assert "Hello Grace" in greeting(second, visitor_id, server_key)

    erased = requests.delete(
        f"{second}/api/v1/visitors/{visitor_id}",
        cookies={"pz_vid": visitor_token(visitor_id)},  # the customer's own erasure
        timeout=10,
    )
    assert erased.status_code == 204
    assert "Hello friend" in greeting(first, visitor_id, server_key)
    assert "Grace" not in greeting(second, visitor_id, server_key)
