"""Production settings: the base settings with debug off, HTTPS only and secure cookies,
opt-in consent, and nothing that only works in one process.

`manage.py check --deploy --settings=config.settings.production` is clean. The health
probes and /metrics are exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT in base)
because probes and scrapers talk plain HTTP inside the cluster; they must still send a
Host header that is in DJANGO_ALLOWED_HOSTS.

These settings refuse to start without their secrets and a shared cache (checked before
the base settings load, so a production process never makes local secrets):
- DJANGO_SECRET_KEY signs the visitor cookie and tokens, PZ_IDENTITY_SECRET checks the
  shop backend's identity tokens, PZ_CUSTOMER_ID_PEPPER keys the hash of customer ids
  (keep it stable: a new pepper makes known customers unknown).
- REDIS_URL: erasure, consent and CRM imports invalidate cached profiles in the cache;
  the local-memory cache would leave every other worker serving the old profile.
"""

import os

from django.core.exceptions import ImproperlyConfigured

REQUIRED_ENVIRONMENT = (
    "DJANGO_SECRET_KEY",
    "PZ_IDENTITY_SECRET",
    "PZ_CUSTOMER_ID_PEPPER",
    "REDIS_URL",
)
_missing = [name for name in REQUIRED_ENVIRONMENT if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        f"Production settings need {', '.join(_missing)} in the environment (see the README, "
        "'Security model'): secrets are never defaulted, and the local-memory cache is per "
        "process, so other workers would keep serving erased or outdated profiles."
    )

from .base import *  # noqa: E402, F403
from .base import env_bool, env_int  # noqa: E402

DEBUG = False
# "*" is a development default only; production names its hosts.
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

# Opt-in, as the GDPR requires in the EU: no tracking and no profile until the visitor
# chooses (the consent banner); an environment variable may say otherwise.
PZ_DEFAULT_CONSENT = {
    "tracking": env_bool("PZ_DEFAULT_CONSENT_TRACKING", False),
    "personalization": env_bool("PZ_DEFAULT_CONSENT_PERSONALIZATION", False),
}
PZ_DEMO_SIGN_IN = False  # anyone could sign in as any customer

PZ_VISITOR_COOKIE_SECURE = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# X_FRAME_OPTIONS stays SAMEORIGIN (not DENY): the admin's "Preview as" frames the
# storefront of the same site; CSP frame-ancestors 'self' says the same.
SILENCED_SYSTEM_CHECKS = ["security.W019"]
