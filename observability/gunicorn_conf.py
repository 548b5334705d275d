"""gunicorn settings of pz in production (`gunicorn -c observability/gunicorn_conf.py
config.wsgi`; deploy/entrypoint.sh web), every value overridable from the environment.

- gthread workers: decide and ingest spend their time waiting on Redis and PostgreSQL, so
  threads overlap those waits; one process per core (GUNICORN_WORKERS) plus threads.
- Database connections: persistent per thread (DATABASE_CONN_MAX_AGE) or a pool per
  process (DATABASE_POOL=1, config/settings/base.py); workers x threads bounds them.
- max_requests with jitter recycles workers slowly (a leak cannot grow without bound).
- Multi-process metrics: set PROMETHEUS_MULTIPROC_DIR to an empty directory.
- Health probes: /healthz (liveness: the process answers), /readyz (readiness: the
  database, cache and broker answer); both plain HTTP, exempt from the HTTPS redirect.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2000"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # pz logs requests itself
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    # The application is loaded: its objects stay out of the collector's way (core/heap.py).
    from core.heap import freeze_startup_heap

    freeze_startup_heap()


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
