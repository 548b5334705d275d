"""Secrets and production settings: no install uses the repository's keys; production
refuses to start without its secrets and a shared cache, and `check --deploy` says why."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from core.checks import check_secrets, check_shared_cache
from core.local_secrets import NAMES, local_secrets

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_ALLOWED_HOSTS": "pz.example.com",
    "DJANGO_SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-key-0123456789",
    "PZ_IDENTITY_SECRET": "i" * 40,
    "PZ_CUSTOMER_ID_PEPPER": "p" * 40,
    "REDIS_URL": "redis://127.0.0.1:6379/9",
}
PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'consent': s.PZ_DEFAULT_CONSENT, 'sign_in': s.PZ_DEMO_SIGN_IN, "
    "'cache': s.CACHES['default']['BACKEND']}))"
)


def run(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENVIRONMENT}
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_local_secrets_are_random_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "secrets.json"
    first = local_secrets(path)
    assert set(first) == set(NAMES) and len(set(first.values())) == 3
    assert all(len(value) >= 32 for value in first.values())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secrets(path) == first
    assert local_secrets(tmp_path / "other.json") != first


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "PZ_IDENTITY_SECRET", "REDIS_URL"])
def test_production_refuses_to_start_without_its_secrets_or_a_shared_cache(
    missing: str, tmp_path: Path
) -> None:
    environment = {k: v for k, v in PRODUCTION_ENVIRONMENT.items() if k != missing}
    environment["PZ_LOCAL_SECRETS_FILE"] = str(tmp_path / "must-not-exist.json")

    completed = run(["-c", PRINT_SETTINGS], environment)

    assert completed.returncode != 0
    assert "ImproperlyConfigured" in completed.stderr and missing in completed.stderr
    assert not (tmp_path / "must-not-exist.json").exists()


def test_production_is_opt_in_without_demo_sign_in_on_redis() -> None:
    completed = run(["-c", PRINT_SETTINGS], PRODUCTION_ENVIRONMENT)

    assert completed.returncode == 0, completed.stderr
    values = json.loads(completed.stdout)
    assert values["consent"] == {"tracking": False, "personalization": False}
    assert values["sign_in"] is False
    assert values["cache"] == "django_redis.cache.RedisCache"


def test_check_deploy_passes_on_production_settings() -> None:
    completed = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENVIRONMENT
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_deploy_check_refuses_a_process_local_cache() -> None:
    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=local):
        [error] = check_shared_cache()
    assert error.id == "pz_core.E001" and "REDIS_URL" in error.hint
    redis = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://x"}}
    with override_settings(CACHES=redis):
        assert check_shared_cache() == []


def test_the_deploy_check_refuses_public_short_or_shared_secrets() -> None:
    assert check_secrets() == []
    with override_settings(SECRET_KEY="pz-insecure-development-key-change-me"):
        assert [e.id for e in check_secrets()] == ["pz_core.E002"]
    with override_settings(PZ_IDENTITY_SECRET=settings.SECRET_KEY):
        assert [e.id for e in check_secrets()] == ["pz_core.E003"]
