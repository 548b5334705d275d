"""Fixtures of the security tests, and the fuzz counts in pytest's closing summary."""

from collections import Counter

import pytest

FUZZ_COUNTS = pytest.StashKey[Counter]()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests reach the WSGI app directly, so its request signals would close the test's
    database connection mid-transaction (on PostgreSQL); Django's test client detaches
    `close_old_connections` the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="session")
def fuzz_counts(request: pytest.FixtureRequest) -> Counter:
    """Responses per (operation, status class), reported at the end of the run."""
    return request.config.stash.setdefault(FUZZ_COUNTS, Counter())


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    counts = config.stash.get(FUZZ_COUNTS, None)
    if not counts:
        return
    operations = sorted({label for label, _ in counts})
    terminalreporter.section("schemathesis fuzz: responses per operation")
    terminalreporter.write_line(f"{'cases':>6} {'2xx':>5} {'4xx':>5} {'5xx':>5}  operation")
    for label in operations:
        by_class = [counts[label, status_class] for status_class in ("2xx", "4xx", "5xx")]
        terminalreporter.write_line(
            f"{sum(by_class):6d} {by_class[0]:5d} {by_class[1]:5d} {by_class[2]:5d}  {label}"
        )
    total = {c: sum(n for (_, cls), n in counts.items() if cls == c) for c in ("2xx", "4xx", "5xx")}
    terminalreporter.write_line(
        f"{sum(counts.values())} cases over {len(operations)} operations: "
        f"{total['2xx']} 2xx, {total['4xx']} 4xx, {total['5xx']} 5xx"
    )
