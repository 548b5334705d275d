"""Settings for pz. Everything lives here; environment variables switch integrations on.

With no environment set: SQLite, local-memory cache and eager Celery tasks, so the demo
needs no server. `DATABASE_URL`, `REDIS_URL` and `CELERY_BROKER_URL` switch to
PostgreSQL, Redis (django-redis) and a real Celery worker.
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from redis.backoff import NoBackoff
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("PZ_LOCAL_SECRETS_FILE", str(BASE_DIR / ".pz-local-secrets.json"))

# pz's own settings (apps, middleware, API, Celery, PZ_*), shared with sites that add pz.
from core.settings_export import *  # noqa: E402, F403
from core.settings_export import (  # noqa: E402
    PZ_APPS,
    PZ_EMAIL_ESP,
    PZ_INSTALLED_APPS,
    env_bool,
    env_int,
    secret,
)
from observability.cache_breaker import BreakerConnection  # noqa: E402

# Signs the pz_vid cookie and X-Pz-Visitor tokens (and sessions, CSRF, password resets).
SECRET_KEY = secret("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "*").split(",") if h]

INSTALLED_APPS = [
    *PZ_APPS[: PZ_APPS.index("triggers") + 1],
    "pages",
    "storefront",
    "insights",
    "demo",  # load_demo and the demo shop's data; a real shop leaves it out
    *PZ_INSTALLED_APPS[len(PZ_APPS) :],
    "observability",
]

# PZ_MIDDLEWARE (in its order) among Django's, Wagtail's and the site-wide policies.
MIDDLEWARE = [
    "observability.request_id.RequestIdMiddleware",
    "observability.http_metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "observability.cors.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "observability.nul_guard.NulInUrlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "tracking.middleware.VisitorIdMiddleware",
    "personalization.middleware.PersonalizationMiddleware",
    "observability.csp.ContentSecurityPolicyMiddleware",
    "observability.privacy_signals.GlobalPrivacyControlMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Database: SQLite by default, anything dj-database-url understands via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while load_demo or a task writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    # Writers take the lock up front: concurrent ingests wait instead of failing "locked".
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
# DATABASE_POOL=1: a psycopg connection pool per process (Django's "pool" option) instead
# of persistent connections (DATABASE_CONN_MAX_AGE, which must then stay 0): each gunicorn
# thread borrows a connection per request, so connections stay at the pool's size per
# process (docs/scaling.md: size it below max_connections / processes).
if env_bool("DATABASE_POOL", False) and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    import psycopg_pool  # noqa: F401  (Django's pool needs it: fail at startup if missing)

    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 2),
        "max_size": env_int("DATABASE_POOL_MAX", 8),
        "timeout": 5,
    }
# Heavy read-only queries may go to a replica (core/replicas.py); writes never do.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
    # Tests read the test database through it (the same server; no second test database).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.replicas.PrimaryReplicaRouter"]
if os.environ.get("PZ_TEST_DATABASE_NAME"):
    # Lets CI point a real Celery worker at the database the test run creates.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["PZ_TEST_DATABASE_NAME"]}

# Cache: django-redis when REDIS_URL is set, else in-process local memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("PZ_CACHE_PREFIX", "pz")


def redis_cache(location: str, key_prefix: str) -> dict:
    """The django-redis cache pz runs on. A Redis outage degrades personalization and never
    breaks a page: errors are ignored (and logged), the socket timeouts bound what a hung
    Redis costs (0.1 s; a healthy Redis answers in about a millisecond) and the circuit
    breaker (observability/cache_breaker.py, PZ_CACHE_BREAKER_SECONDS) makes that one
    timeout per process and window instead of one per call (tests/reliability freeze and
    kill a real Redis)."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.1,
            "SOCKET_TIMEOUT": 0.1,
            "IGNORE_EXCEPTIONS": True,
            # After a failure, calls fail at once for a few seconds (no retries): an
            # outage costs one timeout per process, not one per cache call.
            "CONNECTION_POOL_KWARGS": {
                "connection_class": BreakerConnection,
                "retry": Retry(NoBackoff(), 0),
            },
        },
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, CACHE_KEY_PREFIX)}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pz",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
# The breaker logs an outage once per window; a traceback per missed call would flood.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
LOGIN_URL = "/admin/login/"

# Wagtail
WAGTAIL_SITE_NAME = "pz"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "txt"]

# The project's own choices around pz's settings.
PZ_SCHEDULER_LOCK_FILE = os.environ.get(
    "PZ_SCHEDULER_LOCK_FILE", str(BASE_DIR / ".pz-scheduler.lock")
)
# The demo and development: visitors who have not chosen yet are tracked and
# personalized, so the demo personalizes at once (production.py makes it opt-in again),
# and the demo shop's password-less sign-in is on.
PZ_DEFAULT_CONSENT = {
    "tracking": env_bool("PZ_DEFAULT_CONSENT_TRACKING", True),
    "personalization": env_bool("PZ_DEFAULT_CONSENT_PERSONALIZATION", True),
}
PZ_DEMO_SIGN_IN = env_bool("PZ_DEMO_SIGN_IN", True)
# Named queues, routing, priorities and per-queue time limits: config/queues.py. Every
# queue name starts with PZ_CELERY_QUEUE, so each CI run or load test has its own.
from config import queues as _queues  # noqa: E402

CELERY_TASK_DEFAULT_QUEUE = _queues.prefix()
CELERY_TASK_QUEUES = _queues.kombu_queues()
CELERY_TASK_ROUTES = ("config.queues.route_task",)
CELERY_TASK_DEFAULT_PRIORITY = 4
# Redis as broker: priorities become sub-queues, served lowest number first
# (config.queues.broker_priority inverts the routes' priorities for it).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "priority_steps": list(range(_queues.MAX_PRIORITY + 1)),
    "sep": ":",
    "queue_order_strategy": "priority",
}

PZ_DEMO_DATA_DIR = Path(os.environ.get("PZ_DEMO_DATA_DIR", BASE_DIR / "demo_data"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PZ_LOG_LEVEL", "WARNING")},
}

WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES = [("en", "English"), ("de", "German")]

STORAGES["recommender_artifacts"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {
        "location": os.environ.get(
            "PZ_RECOMMENDER_ARTIFACT_DIR", str(BASE_DIR / "var" / "recommender-artifacts")
        ),
        "base_url": None,
    },
}

# The admin's "Preview as" shows the storefront in a frame of the same site.
X_FRAME_OPTIONS = "SAMEORIGIN"

# Staff avatars are Wagtail's own default image: no request to Gravatar with a hash of
# each staff member's e-mail address (and nothing the admin policy has to allow).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# The dashboard's "new Wagtail release" check calls releases.wagtail.org from the
# browser; upgrades come through requirements.txt here, and the admin policy stays 'self'.
WAGTAIL_ENABLE_UPDATE_CHECK = False

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Probes and the scraper talk plain HTTP inside the cluster (see production.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# PZ_LOG_FORMAT=json (default) writes one JSON object a line; "text" is for humans.
LOGGING["formatters"] = {
    "json": {"()": "observability.log_format.JsonFormatter"},
    "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
}
LOGGING["handlers"]["console"]["formatter"] = os.environ.get("PZ_LOG_FORMAT", "json")
LOGGING["loggers"] = {
    "pz.access": {"level": os.environ.get("PZ_ACCESS_LOG_LEVEL", "WARNING")},
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    f"anymail.backends.{PZ_EMAIL_ESP}.EmailBackend"
    if PZ_EMAIL_ESP
    else "django.core.mail.backends.console.EmailBackend",
)
ANYMAIL: dict[str, Any] = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_")
}
DEFAULT_FROM_EMAIL = os.environ.get("PZ_DEFAULT_FROM_EMAIL", "shop@example.com")
