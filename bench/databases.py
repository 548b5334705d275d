"""Scratch databases per backend, and a Django worker subprocess bound to one of them.

Each backend runs in its own process because Django reads `DATABASE_URL` once, at
settings import; the parent process never imports Django.
"""

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class BackendUnavailable(Exception):
    """The backend cannot be reached; the benchmark skips it with this message."""


@dataclass(frozen=True)
class ScratchDatabase:
    backend: str
    url: str


@contextmanager
def scratch_database(backend: str, *, pg_url: str = DEFAULT_PG_URL) -> Iterator[ScratchDatabase]:
    """A fresh, empty database for one benchmark run, dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="pz-bench-") as directory:
            yield ScratchDatabase("sqlite", f"sqlite:///{directory}/bench.sqlite3")
    elif backend == "postgresql":
        with _postgres_scratch(pg_url) as url:
            yield ScratchDatabase("postgresql", url)
    else:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")


@contextmanager
def _postgres_scratch(admin_url: str) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    name = f"pz_bench_{os.getpid()}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackendUnavailable(
            f"PostgreSQL unreachable at {_redact(admin_url)}: {reason}"
        ) from exc
    with admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def worker_environment(database: ScratchDatabase, *, redis_url: str = "") -> dict[str, str]:
    """Production-like settings: DEBUG off (no query log), tasks eager, no rate limit;
    the cache is local memory unless a Redis URL is given."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database.url,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "0",
            "REDIS_URL": redis_url,
            "PZ_CACHE_PREFIX": f"pz-bench-{os.getpid()}",
            "CELERY_BROKER_URL": "",
            "PZ_RATE_LIMIT_EVENTS": "0",
            "PYTHONHASHSEED": "0",
        }
    )
    return env


def run_worker(
    target: str, database: ScratchDatabase, options: dict[str, Any], *, redis_url: str = ""
) -> dict[str, Any]:
    """Run `target` ("module:function") in a Django process on `database` (migrated
    first) and return the JSON-able dict it returns."""
    with tempfile.TemporaryDirectory(prefix="pz-bench-io-") as directory:
        request = Path(directory) / "request.json"
        response = Path(directory) / "response.json"
        request.write_text(json.dumps({"target": target, "options": options}))
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.django_worker", str(request), str(response)],
            cwd=REPO_ROOT,
            env=worker_environment(database, redis_url=redis_url),
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"{target} failed on {database.backend} (exit {completed.returncode})"
            )
        return json.loads(response.read_text())
