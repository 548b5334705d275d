"""The one clock (core.clock) and how the suite pins it (conftest.py)."""

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

import conftest
from conftest import DEFAULT_TEST_INSTANT, pinned_instant
from core import clock

pytestmark = pytest.mark.time_sensitive

SATURDAY = "2026-12-05T22:30:00+00:00"


def test_now_is_an_aware_utc_instant():
    now = clock.now()

    assert now.tzinfo is UTC
    assert now.utcoffset() == timedelta(0)


def test_localtime_is_in_the_current_time_zone():
    instant = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)

    with timezone.override(ZoneInfo("Europe/Berlin")):
        local = clock.localtime(instant)
        now = clock.localtime()

    assert (local.isoweekday(), local.hour) == (7, 0)  # already Sunday in Berlin
    assert local == instant
    assert now.tzinfo == ZoneInfo("Europe/Berlin")
    assert abs(now - clock.now()) < timedelta(seconds=1)


def test_every_test_starts_at_the_pinned_instant():
    first = clock.now()

    assert timedelta(0) <= first - pinned_instant() < timedelta(seconds=30)
    assert clock.now() > first  # the clock ticks: durations and timeouts stay real


def test_django_and_the_standard_library_read_the_same_pinned_clock():
    assert abs(timezone.now() - clock.now()) < timedelta(seconds=1)
    assert abs(datetime.now(UTC) - pinned_instant()) < timedelta(seconds=30)


def test_other_threads_read_the_same_pinned_clock():
    """The live server answers from its own thread."""
    seen = []
    thread = threading.Thread(target=lambda: seen.append(clock.now()))
    thread.start()
    thread.join()

    assert timedelta(0) <= seen[0] - pinned_instant() < timedelta(seconds=30)


@pytest.mark.time_machine(SATURDAY)
def test_a_test_can_start_at_an_instant_of_its_own():
    assert clock.now().isoweekday() == 6
    assert clock.now() - datetime.fromisoformat(SATURDAY) < timedelta(seconds=30)


def test_a_test_can_move_the_clock(time_machine):
    time_machine.move_to(datetime.fromisoformat(SATURDAY), tick=False)

    assert clock.now() == datetime.fromisoformat(SATURDAY)
    time_machine.shift(timedelta(hours=2))
    assert clock.localtime().isoweekday() == 7


@pytest.mark.real_clock
def test_real_clock_tests_keep_the_machine_clock(request):
    assert "time_machine" not in request.fixturenames


def test_tests_that_use_a_real_celery_worker_keep_the_machine_clock():
    worker_test = SimpleNamespace(fixturenames=["db", "celery_worker_app"], markers=[])
    plain_test = SimpleNamespace(fixturenames=["db"], markers=[])
    for item in (worker_test, plain_test):
        item.add_marker = item.markers.append

    conftest.pytest_collection_modifyitems([worker_test, plain_test])

    assert [m.name for m in worker_test.markers] == ["real_clock"]
    assert plain_test.markers == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", DEFAULT_TEST_INSTANT),
        ("2026-12-05", datetime(2026, 12, 5, 10, 0, tzinfo=UTC)),
        ("2026-12-09T23:30:00+01:00", datetime(2026, 12, 9, 22, 30, tzinfo=UTC)),
    ],
)
def test_pz_test_date_names_the_pinned_instant(raw, expected):
    assert pinned_instant(raw) == expected


def test_the_default_pinned_instant_is_a_weekday_working_hour():
    assert DEFAULT_TEST_INSTANT.isoweekday() == 3
    assert 8 <= DEFAULT_TEST_INSTANT.astimezone(ZoneInfo("Europe/Berlin")).hour < 18


@pytest.mark.parametrize("raw", ["2026-13-05", "next saturday", "2026-12-05T10:00:00"])
def test_a_malformed_pz_test_date_stops_the_run(raw):
    with pytest.raises(pytest.UsageError, match="PZ_TEST_DATE"):
        pinned_instant(raw)


@pytest.mark.browser
def test_browser_pages_read_the_pinned_clock(browser):
    page = browser.new_page()
    page.set_content("<p>clock</p>")

    page_now = datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, UTC)

    assert abs(page_now - clock.now()) < timedelta(seconds=5)
    page.close()
