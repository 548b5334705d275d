"""Project-wide pytest fixtures."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def server_key(db) -> str:
    """A real server key, created in the test database (only its hash is stored)."""
    from core.services import create_server_key

    return create_server_key(name="tests")[1]


@pytest.fixture
def server_api_client(server_key):
    """An API client that calls the public endpoints as the shop's backend does, with a
    server key: it may act for any `visitor_id` (API.md "Callers and identity"). Tests
    that post events or decide for visitors of their choosing use this one; `api_client`
    is a browser caller, bound to the visitor of its own cookie."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {server_key}")
    return client


@pytest.fixture
def staff_client(db, django_user_model):
    from rest_framework.test import APIClient

    # A superuser: staff endpoints check model permissions (personalization.permissions);
    # the groups' own permissions are tested in personalization/tests/test_permissions.py.
    user = django_user_model.objects.create_user(
        username="staff", password="pw-staff-123", is_staff=True, is_superuser=True
    )
    client = APIClient()
    client.force_authenticate(user)
    return client


def skip_or_fail(reason: str) -> None:
    """Skip a test whose service is missing, or fail it when CI requires services."""
    if getattr(settings, "PZ_REQUIRE_SERVICES", False):
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture
def celery_worker_app(transactional_db):
    """The Celery app with eager mode off, for tests that need the real worker started by
    CI (`.ci/run`); skips, or fails under PZ_REQUIRE_SERVICES, when none answers."""
    from config.celery import app

    if settings.CELERY_BROKER_URL.startswith("memory://"):
        skip_or_fail("CELERY_BROKER_URL is not set")
    try:
        replies = app.control.ping(timeout=2.0)
    except Exception as exc:  # noqa: BLE001 - any broker failure means "no worker"
        skip_or_fail(f"Celery broker unreachable: {exc}")
    if not replies:
        skip_or_fail("no Celery worker answered a ping")
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch):
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM reads
    # are plain blocking calls between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def demo_shop(db):
    """A product and the demo segments and placements, as the storefront pages use them."""
    from wagtail.models import Locale

    from catalog.models import Product
    from content.demo import load_demo_content
    from segments.demo import load_demo_segments

    Locale.objects.get_or_create(language_code="en")  # flushed by transactional tests
    Product.objects.create(
        product_id="SKU-1", title="Brass Desk Lamp", category="home/lighting", price=Decimal("49.9")
    )
    load_demo_segments()
    load_demo_content()
