"""Production settings: the base settings with debug off, HTTPS only and secure cookies.

`manage.py check --deploy --settings=config.settings.production` is clean. The health
probes and /metrics are exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT in base)
because probes and scrapers talk plain HTTP inside the cluster; they must still send a
Host header that is in DJANGO_ALLOWED_HOSTS.
"""

import os

from .base import *  # noqa: F403
from .base import env_bool, env_int

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
# "*" is a development default only; production names its hosts.
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

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
