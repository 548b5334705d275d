"""Measure the wagtail-personalisation page (run by `bench/run.py pages --pages-compare-wp`,
which builds this project's virtualenv first): the page with 5 personalised slots against
the same page with plain blocks, and the queries of each at 5 and 50 segments. Writes
the figures as JSON."""

import argparse
import json
import os
import sys
from pathlib import Path
from time import perf_counter_ns

sys.path.insert(0, str(Path(__file__).resolve().parent))
BLOCKS = 5
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[max(1, min(len(ordered), -(-pct * len(ordered) // 100))) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    os.environ["WP_BENCH_DATABASE"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wpbench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    print(json.dumps(measure(args.requests)), file=open(args.output, "w"))  # noqa: SIM115


def segments(start: int, stop: int) -> None:
    from wagtail_personalisation.models import Segment
    from wagtail_personalisation.rules import DeviceRule, QueryRule

    for i in range(start, stop):
        segment = Segment.objects.create(name=f"Segment {i}", status="enabled")
        if i % 2:
            QueryRule.objects.create(segment=segment, parameter="utm_source", value=f"source-{i}")
        else:
            DeviceRule.objects.create(segment=segment, tablet=True)


def measure(requests: int) -> dict:
    import django
    import wagtail
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from wagtail.models import Locale, Page, Site
    from wagtail_personalisation.models import Segment
    from wagtail_personalisation.rules import DeviceRule, QueryRule
    from wpbench.models import HomePage

    buyers = Segment.objects.create(name="Buyers", status="enabled")
    QueryRule.objects.create(segment=buyers, parameter="bought", value="yes")
    readers = Segment.objects.create(name="Newsletter readers", status="enabled")
    QueryRule.objects.create(segment=readers, parameter="utm_source", value="newsletter")
    mobile = Segment.objects.create(name="Mobile", status="enabled")
    DeviceRule.objects.create(segment=mobile, mobile=True)
    segments(0, 2)  # 5 segments

    def slot(i: int) -> dict:
        variants = [
            {"segment": str(buyers.pk), "heading": f"Thanks for buying {i}"},
            {"segment": str(readers.pk), "heading": f"Hello, reader {i}"},
            {"segment": str(mobile.pk), "heading": f"On the go {i}"},
            {"segment": "-1", "heading": f"Welcome {i}"},
        ]
        return {"type": "slot", "value": {"variants": variants}}

    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node()
    home = HomePage(title="Home", slug="wp-home", body=[slot(i) for i in range(BLOCKS)])
    root.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "testserver", "root_page": home}
    )
    plain = HomePage(
        title="Plain",
        slug="plain",
        body=[{"type": "hero", "value": {"heading": f"Hello, reader {i}"}} for i in range(BLOCKS)],
    )
    home.add_child(instance=plain)
    plain.save_revision().publish()

    client = Client(HTTP_USER_AGENT=UA)
    paths = {"personalized": "/?utm_source=newsletter", "plain": "/plain/?utm_source=newsletter"}

    def get(path: str):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response

    def queries() -> dict:
        counts = {}
        for name, path in paths.items():
            get(path)
            with CaptureQueriesContext(connection) as captured:
                get(path)
            counts[name] = len(captured.captured_queries)
        return counts

    for _ in range(50):
        for path in paths.values():
            get(path)
    html = get(paths["personalized"]).content.decode()
    assert all(f"Hello, reader {i}" in html for i in range(BLOCKS)), html[:2000]
    counts = {"5": queries()}
    samples = {"personalized": [], "plain": []}
    for _ in range(requests):
        for name, path in paths.items():
            start = perf_counter_ns()
            get(path)
            samples[name].append((perf_counter_ns() - start) / 1e6)
    segments(2, 47)  # 50 segments
    counts["50"] = queries()
    return {
        "versions": {
            "django": django.get_version(),
            "wagtail": wagtail.__version__,
            "wagtail-personalisation": _version("wagtail-personalisation"),
            "python": sys.version.split()[0],
        },
        "pages": {
            name: {
                "p50": percentile(values, 50),
                "p90": percentile(values, 90),
                "p99": percentile(values, 99),
                "n": len(values),
            }
            for name, values in samples.items()
        },
        "queries": counts,
    }


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main()
