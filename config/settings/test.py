"""Test settings: the base settings, fast hashing, tasks eager unless a test opts out."""

from .base import *  # noqa: F403
from .base import CACHES, env_bool

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The CI worker loads these settings too, with PZ_TEST_EAGER=0 so its own follow-up
# tasks (delayed checks) go through the broker.
CELERY_TASK_ALWAYS_EAGER = env_bool("PZ_TEST_EAGER", True)
# Tests run the schedule themselves (core/tests/test_scheduler.py starts it where needed).
PZ_INPROCESS_SCHEDULER = False
# Tests see rate limits only where they turn them on.
PZ_RATE_LIMITS = {"events": 0, "consent": 0, "decide": 0, "recommendations": 0}
CACHES["default"]["KEY_PREFIX"] = "pz-test"
# CI sets PZ_REQUIRE_SERVICES=1 so a test that would skip for a missing service fails.
PZ_REQUIRE_SERVICES = env_bool("PZ_REQUIRE_SERVICES", False)
# Catalog writes in tests do not train (eager Celery would train on every write); the
# catalog tests turn it on.
PZ_RECOMMENDER_RETRAIN_AFTER_CATALOG_SECONDS = None
# No visitor is held out unless a test says so: a test's visitor ids would otherwise
# hash into the global holdout by chance and see fallback content.
PZ_GLOBAL_HOLDOUT_SHARE = 0.0
# New triggers contact every matched visitor unless a test gives them a control group.
PZ_TRIGGER_CONTROL_SHARE = 0.0
