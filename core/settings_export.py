"""pz's settings, for pz's own project and for any Django + Wagtail site that adds pz.

One place for what pz needs in settings: the apps (`PZ_INSTALLED_APPS`), the middleware
(`PZ_MIDDLEWARE`), the API (`REST_FRAMEWORK`, `SPECTACULAR_SETTINGS`), Celery
(`CELERY_*`: eager unless `CELERY_BROKER_URL` is set) and every `PZ_*` setting with its
default; environment variables switch integrations on. pz's project
(`config/settings/base.py`) starts from it; a site adds it as the README's "Add pz to an
existing Wagtail site" shows. Names the apps as strings only: no app is imported here.
"""

import os
from pathlib import Path

from celery.schedules import crontab

from core.local_secrets import local_secrets


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


# The demo and development use this install's own random secrets, made on first run in a
# gitignored file (core/local_secrets.py) in the working directory (pz's project points it
# at its own folder); production sets them in the environment.
LOCAL_SECRETS_FILE = Path(
    os.environ.get("PZ_LOCAL_SECRETS_FILE", Path.cwd() / ".pz-local-secrets.json")
)


def secret(name: str) -> str:
    return os.environ.get(name) or local_secrets(LOCAL_SECRETS_FILE)[name]


# pz's apps; the demo shop (`storefront`, `demo`) is not among them, nor `pages` (its
# `HomePage` clashes with the `home.HomePage` of a `wagtail start` site: both claim
# `Page.homepage`; tests/integration/test_install_into_wagtail.py).
PZ_APPS = [
    "core",
    "tracking",
    "catalog",
    "segments",
    "integrations",
    "content",
    "experiments",
    "personalization",
    "recommendations",
    "triggers",
    "insights",
    "observability",
]
# Everything pz needs installed, pz's apps first (a site keeps its own order for the rest:
# `INSTALLED_APPS = PZ_INSTALLED_APPS + [a for a in INSTALLED_APPS if a not in PZ_INSTALLED_APPS]`).
PZ_INSTALLED_APPS = [
    *PZ_APPS,
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "anymail",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
# Appended after a site's own middleware (sessions and auth come before them): request
# ids, CORS for the public API, the visitor cookie, page decisions, Sec-GPC.
PZ_MIDDLEWARE = [
    "observability.request_id.RequestIdMiddleware",
    "observability.cors.CorsMiddleware",
    "tracking.middleware.VisitorIdMiddleware",
    "personalization.middleware.PersonalizationMiddleware",
    "observability.privacy_signals.GlobalPrivacyControlMiddleware",
]

# Django REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Staff endpoints too: a 413 JSON for an oversize body, a 400 for a non-object body.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "pz API",
    "DESCRIPTION": "Tracking, personalization decisions and staff endpoints of pz.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["core.api.schema.only_pz_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {"SegmentKindEnum": "segments.models.Segment.Kind"},
    # Path parameters say what the URL converter accepts, so clients (and the fuzz test)
    # know a key outside it never reaches the API.
    "PATH_CONVERTER_OVERRIDES": {
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        "str": {"type": "string", "pattern": "^[^/]+$"},
    },
}

# Celery: eager unless a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"  # eager mode sends nothing; this keeps kombu quiet
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One reserved task per worker process (with acks_late): a long task never holds back
# short ones another process could run, and priorities decide what runs next.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Tasks are published after commit by requests (ingest, admin saves): one quick retry
# rides out a dropped pooled connection; a broker that is down fails fast and is logged
# by the publisher instead of holding the request for seconds.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Log each task's wait in its queue (a line per task: the load test reads them; off by
# default, so production logs stay quiet under load).
PZ_LOG_QUEUE_WAIT = env_bool("PZ_LOG_QUEUE_WAIT", False)
# Without a broker (tasks eager) a thread of the serving process runs CELERY_BEAT_SCHEDULE
# (core/scheduler.py); the lock file keeps it to one process.
PZ_INPROCESS_SCHEDULER = env_bool("PZ_INPROCESS_SCHEDULER", True)
PZ_SCHEDULER_TICK_SECONDS = float(os.environ.get("PZ_SCHEDULER_TICK_SECONDS", "5"))
PZ_SCHEDULER_LOCK_FILE = os.environ.get(
    "PZ_SCHEDULER_LOCK_FILE", str(Path.cwd() / ".pz-scheduler.lock")
)
CELERY_BEAT_SCHEDULE = {
    "refresh-rfm-scores": {
        "task": "tracking.tasks.refresh_rfm_scores_task",
        "schedule": 60 * 60,
    },
}

# pz: tracking and profiles
# Consent of a visitor who has not chosen yet: opt-in, as the GDPR requires in the EU
# (pz's demo and development settings turn both on so the demo personalizes at once).
PZ_DEFAULT_CONSENT = {
    "tracking": env_bool("PZ_DEFAULT_CONSENT_TRACKING", False),
    "personalization": env_bool("PZ_DEFAULT_CONSENT_PERSONALIZATION", False),
}
PZ_VISITOR_COOKIE = "pz_vid"
PZ_VISITOR_COOKIE_MAX_AGE = 60 * 60 * 24 * 395
PZ_VISITOR_COOKIE_SECURE = env_bool("PZ_VISITOR_COOKIE_SECURE", False)
PZ_MAX_BATCH_EVENTS = 1000
PZ_MAX_BODY_BYTES = env_int("PZ_MAX_BODY_BYTES", 2 * 1024 * 1024)
PZ_MAX_FUTURE_SKEW_SECONDS = 300
PZ_MAX_EVENT_AGE_DAYS = env_int("PZ_MAX_EVENT_AGE_DAYS", 3650)
# Per-client requests per minute on public endpoints; 0 disables the limit.
PZ_RATE_LIMITS = {
    "events": env_int("PZ_RATE_LIMIT_EVENTS", 600),
    "consent": env_int("PZ_RATE_LIMIT_CONSENT", 120),
    "decide": env_int("PZ_RATE_LIMIT_DECIDE", 1200),
    "recommendations": env_int("PZ_RATE_LIMIT_RECOMMENDATIONS", 1200),
}
PZ_INTEREST_HALF_LIFE_DAYS = float(os.environ.get("PZ_INTEREST_HALF_LIFE_DAYS", "14"))
PZ_ENGAGEMENT_HALF_LIFE_DAYS = float(os.environ.get("PZ_ENGAGEMENT_HALF_LIFE_DAYS", "7"))
PZ_SESSION_TIMEOUT_MINUTES = 30
PZ_CART_ABANDON_MINUTES = env_int("PZ_CART_ABANDON_MINUTES", 30)
PZ_HIGH_INTENT_ENGAGEMENT = float(os.environ.get("PZ_HIGH_INTENT_ENGAGEMENT", "15"))
PZ_PROFILE_CACHE_SECONDS = 60 * 60 * 24
# Keyed hash for customer ids from login and CRM imports (stored only hashed).
PZ_CUSTOMER_ID_PEPPER = secret("PZ_CUSTOMER_ID_PEPPER")
# Shared with the shop's backend, which signs identity tokens with it (API.md "Callers
# and identity"); `{% pz_identity_token user %}` reads this attribute of the user.
PZ_IDENTITY_SECRET = secret("PZ_IDENTITY_SECRET")
PZ_CUSTOMER_ID_ATTR = os.environ.get("PZ_CUSTOMER_ID_ATTR", "pk")
# The demo shop's sign-in by customer number, without a password: a demo convenience
# that lets anyone act as any customer. Off unless pz's demo settings turn it on.
PZ_DEMO_SIGN_IN = env_bool("PZ_DEMO_SIGN_IN", False)


# pz: segments
PZ_MIN_SEGMENT_SIZE = env_int("PZ_MIN_SEGMENT_SIZE", 50)
# Seconds to wait (and coalesce) before refreshing memberships of visitors who just acted.
PZ_SEGMENT_REFRESH_DEBOUNCE_SECONDS = env_int("PZ_SEGMENT_REFRESH_DEBOUNCE_SECONDS", 2)
PZ_RECENT_EVENTS_LIMIT = 1000
# Dotted paths of functions returning a `tracking.rule_fields.Extension`: fields (custom
# customer attributes) and event types rules may use beyond the built-in ones.
# The shop's own definitions (admin and API) come first.
PZ_RULE_FIELD_PROVIDERS: list[str] = ["tracking.definitions.rule_field_extension"]
CELERY_BEAT_SCHEDULE.update(
    {
        "recompute-due-segments": {
            "task": "segments.tasks.recompute_due_segments_task",
            "schedule": 60,
        },
        "cluster-visitors": {
            "task": "segments.clustering_tasks.run_clustering_task",
            "schedule": 60 * 60 * 24,
        },
    }
)

# pz: content and delivery
PZ_SHOP_NAME = os.environ.get("PZ_SHOP_NAME", "pz gift shop")
# Reports show money with this symbol (core.formatting).
PZ_CURRENCY_SYMBOL = os.environ.get("PZ_CURRENCY_SYMBOL", "€")

# pz: the global holdout (core.holdout): this share of visitors sees no personalization,
# no experiments and no triggers, so insights can measure what personalization earns.
PZ_GLOBAL_HOLDOUT_SHARE = float(os.environ.get("PZ_GLOBAL_HOLDOUT_SHARE", "0.05"))
PZ_GLOBAL_HOLDOUT_SEED = os.environ.get("PZ_GLOBAL_HOLDOUT_SEED", "pz-global-holdout")
# insights: per-segment KPIs (today and yesterday) are recomputed in SQL every 15 minutes.
CELERY_BEAT_SCHEDULE["segment-kpis"] = {
    "task": "insights.tasks.refresh_segment_kpis_task",
    "schedule": 15 * 60,
}

# pz: experiments
CELERY_BEAT_SCHEDULE["experiment-results"] = {
    "task": "experiments.tasks.compute_running_results_task",
    "schedule": 15 * 60,
}

# pz: recommendations

# Implicit-feedback weight of each event type (purchases count each of properties.items).
PZ_RECOMMENDER_EVENT_WEIGHTS = {"product_view": 1.0, "add_to_cart": 3.0, "purchase": 5.0}
PZ_RECOMMENDER_HISTORY_DAYS = env_int("PZ_RECOMMENDER_HISTORY_DAYS", 730)
PZ_RECOMMENDER_HOLDOUT_FRACTION = 0.2
# "personal" blend weights (EASE alone was best on the offline benchmarks).
PZ_RECOMMENDER_BLEND = {"ease": 1.0}
# Product-page strategies, tried in order until one has neighbours; then popularity.
PZ_RECOMMENDER_RELATED_STRATEGIES = {
    "similar": ["item_knn", "content"],
    "bought_together": ["bought_together"],
}
# engine.TrainingConfig overrides; top-N lists keep the artifact at a few MB.
PZ_RECOMMENDER_TRAINING = {
    "ease_neighbours": 200,
    "knn_neighbours": 100,
    "content_neighbours": 100,
    "bought_together_neighbours": 50,
    # Above this many products EASE (a dense n x n inverse: 3.2 GB at 20,000) is replaced
    # by the large-catalogue strategy: "item_knn_bm25" (blockwise top-N, memory items x
    # neighbours), "item_knn" or "als" (implicit ALS). See recommendations/README.md.
    "ease_max_dense_items": env_int("PZ_RECOMMENDER_EASE_MAX_ITEMS", 20_000),
    "large_catalog_strategy": os.environ.get(
        "PZ_RECOMMENDER_LARGE_CATALOG_STRATEGY", "item_knn_bm25"
    ),
    # Lists of the large-catalogue default: 200,000 products x 100 = 160 MB of model.
    "bm25_neighbours": 100,
}
PZ_RECOMMENDER_TRAINING_TIMEOUT = 60 * 60
PZ_RECOMMENDER_KEEP_ARTIFACTS = 2  # retired versions that keep their model (rollback)
# Models larger than this are written to STORAGES["recommender_artifacts"] (a directory
# outside MEDIA_ROOT by default: pickles must never be web-served; point it at shared
# storage, e.g. django-storages' S3 backend, when web and worker hosts differ).
PZ_RECOMMENDER_ARTIFACT_DB_MAX_BYTES = env_int(
    "PZ_RECOMMENDER_ARTIFACT_DB_MAX_BYTES", 32 * 1024 * 1024
)
# Countries, devices and segments with fewer distinct visitors get no own popularity.
PZ_RECOMMENDER_MIN_CONTEXT_USERS = 20
PZ_RECOMMENDER_CONTEXT_BOOST = {"smoothing": 0.1, "strength": 0.5, "cap": 2.0}
PZ_RECOMMENDER_SEASONS = {
    "christmas": {
        "months": [10, 11, 12],
        "categories": ["seasonal/christmas"],
        "boost": 1.5,
        "off_season": 0.5,
    },
    "easter": {
        "months": [3, 4],
        "categories": ["seasonal/easter"],
        "boost": 1.5,
        "off_season": 0.5,
    },
}
# Serving: how often a process checks the active version / the catalog, cache TTLs.
PZ_RECOMMENDER_VERSION_CHECK_SECONDS = 10
PZ_RECOMMENDER_VERSION_CACHE_SECONDS = 60
PZ_RECOMMENDER_CATALOG_CHECK_SECONDS = 60
# The largest product feed the admin upload takes (the command reads any size).
PZ_CATALOG_UPLOAD_MAX_BYTES = env_int("PZ_CATALOG_UPLOAD_MAX_BYTES", 200 * 1024 * 1024)
# A catalog change (PUT /products, an import) schedules one training this many seconds
# later, whatever follows in between; None: only the nightly schedule trains.
PZ_RECOMMENDER_RETRAIN_AFTER_CATALOG_SECONDS: int | None = env_int(
    "PZ_RECOMMENDER_RETRAIN_AFTER_CATALOG_SECONDS", 300
)
PZ_RECOMMENDER_RESULT_CACHE_SECONDS = 60
PZ_RECOMMENDER_RECENT_CACHE_SECONDS = 60 * 60
PZ_RECOMMENDER_RECENT_DAYS = 365
PZ_RECOMMENDER_RECENT_EVENTS = 50
PZ_RECOMMENDER_HISTORY_ITEMS = 50
PZ_RECOMMENDER_OVERFETCH = 20
PZ_RECOMMENDER_MAX_K = 50
CELERY_BEAT_SCHEDULE.update(
    {
        "train-recommender": {
            "task": "recommendations.tasks.train_recommender_task",
            "schedule": crontab(hour=3, minute=30),
        },
    }
)

# pz: content metrics
CELERY_BEAT_SCHEDULE["refresh-variant-stats"] = {
    "task": "content.tasks.refresh_variant_stats_task",
    "schedule": 60 * 60,
}

# pz: trust (observability, HTTP security policies, privacy signals)

# /metrics: readable from these client addresses, or with "Authorization: Bearer <token>".
PZ_METRICS_TOKEN = os.environ.get("PZ_METRICS_TOKEN", "")
PZ_METRICS_ALLOWED_IPS = [
    ip for ip in os.environ.get("PZ_METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",") if ip
]
# Browsers of other origins may call the public API only from these origins.
PZ_CORS_ALLOWED_ORIGINS = [
    o.strip() for o in os.environ.get("PZ_CORS_ALLOWED_ORIGINS", "").split(",") if o.strip()
]
PZ_CORS_PATHS = [
    "/api/v1/events",
    "/api/v1/decide",
    "/api/v1/consent",
    "/api/v1/recommendations",
    "/api/v1/placements",
]
# Storefront pages: our static scripts and styles only, no inline code or style
# attributes (product tiles take their hue from a class in shop.css).
PZ_CSP_POLICY = os.environ.get(
    "PZ_CSP_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'",
)
PZ_CSP_REPORT_ONLY = env_bool("PZ_CSP_REPORT_ONLY", False)
# The Wagtail and Django admins (observability/csp.py says why styles are inline there).
PZ_CSP_ADMIN_POLICY = os.environ.get(
    "PZ_CSP_ADMIN_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
)
PZ_CSP_ADMIN_PREFIXES = ["/admin/", "/django-admin/"]
PZ_CSP_EXCLUDE_PREFIXES = ["/api/v1/docs/"]
# Sec-GPC: 1 / DNT: 1 mean "no tracking" unless the visitor explicitly consented.
PZ_HONOUR_GPC = env_bool("PZ_HONOUR_GPC", True)


# pz: privacy
# Raw events older than this are deleted (with the anonymous profiles that leaves empty);
# aggregates (variant stats, experiment results, segment sizes) hold no visitor data.
PZ_EVENT_RETENTION_DAYS = env_int("PZ_EVENT_RETENTION_DAYS", 395)
PZ_RETENTION_BATCH_SIZE = env_int("PZ_RETENTION_BATCH_SIZE", 5000)
# Announcements of stored events that could not be queued (broker down) are replayed.
PZ_ANNOUNCEMENT_MAX_ATTEMPTS = env_int("PZ_ANNOUNCEMENT_MAX_ATTEMPTS", 120)
CELERY_BEAT_SCHEDULE["replay-announcements"] = {
    "task": "tracking.tasks.replay_pending_announcements_task",
    "schedule": 60,
}
# The coming months' event partitions are created daily, three months ahead (PostgreSQL).
CELERY_BEAT_SCHEDULE["ensure-event-partitions"] = {
    "task": "tracking.tasks.ensure_event_partitions_task",
    "schedule": crontab(hour=2, minute=5),
}
CELERY_BEAT_SCHEDULE["apply-retention"] = {
    "task": "tracking.tasks.apply_retention_task",
    "schedule": crontab(hour=4, minute=15),
}

# pz: triggers
# Quiet hours and daily caps are in the store's local time.
PZ_TRIGGERS_TIME_ZONE = os.environ.get("PZ_TRIGGERS_TIME_ZONE", "Europe/Berlin")
# Entry events older than this (replayed or late batches) start nothing.
PZ_TRIGGERS_ENTRY_LOOKBACK_SECONDS = 60 * 60
PZ_TRIGGERS_ONSITE_TTL_SECONDS = 24 * 60 * 60
# The placement where a trigger's pop-up replaces the placement's own content, once.
PZ_POPUP_PLACEMENT = os.environ.get("PZ_POPUP_PLACEMENT", "site-popup")
# Webhook targets (triggers/webhook_targets.py): https only unless this allows http (for
# development); PZ_WEBHOOK_ALLOWED_HOSTS exempts hosts from the private-address check and
# is for tests' local receivers only (deliberately not read from the environment).
PZ_WEBHOOK_ALLOW_HTTP = env_bool("PZ_WEBHOOK_ALLOW_HTTP", False)
PZ_WEBHOOK_ALLOWED_HOSTS: list[str] = []
PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("PZ_TRIGGERS_WEBHOOK_BACKOFF", "2"))
PZ_TRIGGERS_SWEEP_BATCH = env_int("PZ_TRIGGERS_SWEEP_BATCH", 5000)
# A purchase within this many days after an impression or a firing is its conversion
# (tracking/analytics.py).
PZ_CONVERSION_DAYS = 7
# A new trigger's control group: this share of matched visitors is logged, not contacted.
PZ_TRIGGER_CONTROL_SHARE = float(os.environ.get("PZ_TRIGGER_CONTROL_SHARE", "0.1"))
# E-mail: Django's console backend unless an ESP is named. PZ_EMAIL_ESP picks an
# anymail backend (postmark, mailgun, sendgrid, amazon_ses, brevo, ...) and its tracking
# webhook at /email/esp/<esp>/tracking/; its settings come from ANYMAIL_* variables
# (ANYMAIL_POSTMARK_SERVER_TOKEN, ANYMAIL_MAILGUN_API_KEY, ANYMAIL_WEBHOOK_SECRET, ...).
PZ_EMAIL_ESP = os.environ.get("PZ_EMAIL_ESP", "").strip().lower()
# Absolute links in e-mails (unsubscribe, opens, clicks, products) start with this.
PZ_SITE_URL = os.environ.get("PZ_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Delivery attempts of a triggered e-mail before its firing is a dead letter.
PZ_EMAIL_MAX_ATTEMPTS = env_int("PZ_EMAIL_MAX_ATTEMPTS", 4)
# Marketing e-mail consent needs the address confirmed (a link e-mailed to it) first.
PZ_EMAIL_DOUBLE_OPT_IN = env_bool("PZ_EMAIL_DOUBLE_OPT_IN", False)
# Where e-mail links point (paths on PZ_SITE_URL): a product and the cart.
PZ_EMAIL_PRODUCT_PATH = "/p/{product_id}/"
PZ_EMAIL_CART_PATH = "/cart/"
CELERY_BEAT_SCHEDULE.update(
    {
        "trigger-due-firings": {"task": "triggers.tasks.process_due_firings_task", "schedule": 60},
        "trigger-sweeps": {"task": "triggers.tasks.run_sweeps_task", "schedule": 60 * 60},
    }
)

# Personalized Wagtail pages (pages/). Cached-page mode: how long a shared cache may keep
# such a page, and how long pz.js waits for its decision before keeping the fallback.
PZ_CACHED_PAGE_MAX_AGE = int(os.environ.get("PZ_CACHED_PAGE_MAX_AGE", "300"))
PZ_ANTI_FLICKER_MS = int(os.environ.get("PZ_ANTI_FLICKER_MS", "300"))
