"""Project-wide pytest fixtures."""

import os
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from core import clock

# Every test starts at one instant, a Wednesday, whatever day the suite runs on.
# `PZ_TEST_DATE` moves it: `.ci/run` re-runs the time_sensitive tests on a Saturday and a
# Wednesday.
DEFAULT_TEST_INSTANT = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
TEST_DATE_VARIABLE = "PZ_TEST_DATE"
# Tests using these talk to another process (a real Celery worker) that reads the machine's
# clock, so they keep it too.
REAL_CLOCK_FIXTURES = frozenset({"celery_worker_app", "celery_workers"})
ROOT = Path(__file__).resolve().parent


def missing_test_tools(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The test and lint tools (pyproject.toml [dependency-groups] dev) not installed."""
    tools = tomllib.loads(pyproject.read_text())["dependency-groups"]["dev"]
    missing = []
    for tool in tools:
        try:
            metadata.distribution(tool)
        except metadata.PackageNotFoundError:
            missing.append(tool)
    return missing


# `make demo` installs only the runtime pins. Without the test tools the suite cannot even
# be collected: say what to run instead of a page of import errors (before any other
# conftest is imported).
if missing := missing_test_tools():
    sys.stderr.write(
        f"The test tools are not installed ({', '.join(missing)}).\n"
        "Run `make test`: it installs requirements-dev.txt, then runs lint, the security "
        "checks and this suite.\n"
    )
    raise SystemExit(pytest.ExitCode.USAGE_ERROR)


def pinned_instant(raw: str | None = None) -> datetime:
    """The instant tests start at: `raw` (default: `$PZ_TEST_DATE`) as an ISO date (10:00
    UTC that day) or an ISO date-time with an offset, else DEFAULT_TEST_INSTANT."""
    raw = (os.environ.get(TEST_DATE_VARIABLE, "") if raw is None else raw).strip()
    if not raw:
        return DEFAULT_TEST_INSTANT
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(10, 0), tzinfo=UTC)
        instant = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise pytest.UsageError(f"{TEST_DATE_VARIABLE}={raw!r}: {exc}") from None
    if instant.tzinfo is None:
        raise pytest.UsageError(f"{TEST_DATE_VARIABLE}={raw!r} needs an offset, e.g. +00:00")
    return instant.astimezone(UTC)


def pytest_configure(config: pytest.Config) -> None:
    pinned_instant()  # a malformed PZ_TEST_DATE stops the run before any test


def pytest_terminal_summary(terminalreporter: Any) -> None:
    instant = pinned_instant()
    terminalreporter.write_line(
        f"clock: tests started at {instant.isoformat()} ({instant:%A}) unless marked otherwise"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_CLOCK_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_clock)


@pytest.fixture(autouse=True)
def _pinned_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Travel to the pinned instant for the test (time-machine: `core.clock`, Django, the
    live server's thread and the pages of the `browser` fixture all read it); the clock
    ticks on from there, so durations and timeouts are real. `@pytest.mark.time_machine(
    instant)` starts a test elsewhere, the `time_machine` fixture moves it mid-test, and
    `@pytest.mark.real_clock` keeps the machine's clock."""
    if request.node.get_closest_marker("real_clock"):
        yield
        return
    machine = request.getfixturevalue("time_machine")
    if request.node.get_closest_marker("time_machine") is None:
        machine.move_to(pinned_instant())
    yield


@pytest.fixture(autouse=True)
def _clean_cache():
    from core.selectors import _active_memo

    cache.clear()
    _active_memo.clear()  # the per-process memo of server keys goes with the cache
    yield
    cache.clear()
    _active_memo.clear()


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


class PinnedClockBrowser:
    """Chromium whose new pages start their clock (`Date`, timers) at the tests' clock, so
    the timestamps pz.js sends agree with the server's; everything else is the browser's."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.clock.install(time=clock.now())
        return context

    def new_page(self, **options: Any) -> Any:
        page = self._browser.new_page(**options)
        page.clock.install(time=clock.now())
        return page

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture
def browser(monkeypatch, request):
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
        pinned = not request.node.get_closest_marker("real_clock")
        yield PinnedClockBrowser(browser) if pinned else browser
        browser.close()


@pytest.fixture
def demo_shop(db):
    """A product and the demo segments and placements, as the storefront pages use them."""
    from wagtail.models import Locale

    from catalog.models import Product
    from demo.content import load_demo_content
    from demo.segments import load_demo_segments

    Locale.objects.get_or_create(language_code="en")  # flushed by transactional tests
    Product.objects.create(
        product_id="SKU-1", title="Brass Desk Lamp", category="home/lighting", price=Decimal("49.9")
    )
    load_demo_segments()
    load_demo_content()
