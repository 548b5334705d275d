"""Private services for the reliability tests: a real `redis-server` each test may kill or
freeze, and real Celery workers a test may kill. The shared Redis and RabbitMQ of the
machine are never touched (other tests and people use them)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.settings.base import redis_cache
from conftest import skip_or_fail
from observability import cache_breaker

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@dataclass
class RedisServer:
    """A `redis-server` of the test's own on a free port."""

    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing ever answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(port, process)
    cache_breaker.reset()
    try:
        if not wait_until(server.answers, timeout=10):
            skip_or_fail(f"redis-server did not start on port {port}")
        yield server
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            server.kill()
        # The breaker is per process: the next test's Redis is healthy.
        cache_breaker.reset()


@pytest.fixture
def redis_cache_settings(private_redis, settings) -> RedisServer:
    """The app's cache, configured as production configures it, on the private Redis.
    Overriding CACHES resets `django.core.cache.caches`; the port is new, so no pooled
    django-redis connection of another test is reused."""
    settings.CACHES = {"default": redis_cache(private_redis.url, f"pz-rel-{uuid.uuid4().hex}")}
    return private_redis


# Celery workers of the test's own.


def _worker_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        skip_or_fail("a killed-worker test needs PostgreSQL (DATABASE_URL)")
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    # Inside a test `connection` points at the test database pytest-django created.
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@dataclass
class WorkerPool:
    """Real `celery worker` processes on a private queue, each in its own process group so
    a test can SIGKILL a worker with its pool children, as an OOM kill or a lost node would."""

    queue: str
    env: dict[str, str]
    log_dir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self) -> subprocess.Popen:
        log = self.log_dir / f"worker-{len(self.processes)}.log"
        process = subprocess.Popen(  # noqa: S603 - the project's own celery command
            [
                str(Path(sys.executable).with_name("celery")),
                "-A",
                "config",
                "worker",
                "-Q",
                self.queue,
                "--concurrency=1",
                "-P",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                f"--logfile={log}",
                "-n",
                f"rel{len(self.processes)}-{self.queue}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def log(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.log_dir.glob("*.log")))

    def ready_messages(self) -> int:
        """Messages waiting in the queue (unacknowledged ones return there when their
        worker's connection closes)."""
        from config.celery import app

        with app.connection_for_write() as conn:
            return conn.default_channel.queue_declare(self.queue, passive=True).message_count

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


@pytest.fixture
def celery_workers(transactional_db, tmp_path) -> Iterator[WorkerPool]:
    """Start-and-kill-able workers consuming a private queue of the real broker (tests
    publish to `pool.queue`), on the test database; eager mode is off meanwhile."""
    from config.celery import app

    if settings.CELERY_BROKER_URL.startswith("memory://"):
        skip_or_fail("CELERY_BROKER_URL is not set")
    database_url = _worker_database_url()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001 - any broker failure means "no broker"
        skip_or_fail(f"Celery broker unreachable: {exc}")
    queue = f"pz-rel-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PZ_TEST_EAGER": "0",
        "PZ_CELERY_QUEUE": queue,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    env.pop("PZ_TEST_DATABASE_NAME", None)
    pool = WorkerPool(queue=queue, env=env, log_dir=tmp_path)
    app.conf.task_always_eager = False
    try:
        yield pool
    finally:
        app.conf.task_always_eager = True
        pool.stop_all()
        with app.connection_for_write() as conn:
            # The private queue goes with the test (durable queues outlive their consumers).
            conn.default_channel.queue_delete(queue)


@pytest.fixture(autouse=True)
def _fresh_compiled_catalogs():
    """Compiled catalogs are per process and keyed by the config version in the cache; one
    compiled while a test's Redis was down (version None) would otherwise be served to the
    next test, whose database was flushed."""
    import content.placement_catalog
    import experiments.selectors
    import segments.selectors

    modules = (segments.selectors, content.placement_catalog, experiments.selectors)
    for module in modules:
        module._catalog.clear()
    yield
    for module in modules:
        module._catalog.clear()


@pytest.fixture
def dead_broker(settings):
    """Celery publishing for real (eager off) to an AMQP URL where nothing listens."""
    from config.celery import app

    def reset_pools() -> None:
        # kombu keeps connection and producer pools per broker URL in global registries:
        # closing them without clearing the registries would leave later tests a closed
        # pool for the working broker ("Acquire on closed pool").
        from kombu import pools

        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    url = f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    saved = {key: app.conf[key] for key in ("broker_url", "broker_write_url", "task_always_eager")}
    reset_pools()
    app.conf.broker_url = url
    app.conf.broker_write_url = url
    app.conf.task_always_eager = False
    settings.CELERY_BROKER_URL = url
    try:
        yield url
    finally:
        reset_pools()
        app.conf.update(saved)
