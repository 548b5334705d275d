"""Pages: a Wagtail page with 5 personalized blocks against the same page with plain
blocks; queries per page at 5 and 50 segments.

One Django process per backend on a scratch database. Setup, untimed: a known visitor
(a few page views through `ingest_events`, so a profile exists), 5 rule segments on the
request context and the profile (the visitor is in 3), then a published `HomePage` at the
site root whose body holds 5 personalized blocks (3 targeted variants and a fallback
each, the first variant aimed at a segment the visitor is not in) and a published
`LandingPage` at `/plain/` with 5 plain hero blocks holding what the visitor is shown.

Timed with Django's test `Client`, in-process (URL routing, Wagtail's serve, the whole
middleware stack), 50 warm-up requests each, then `--pages-requests` each, alternating.
Then 45 more segments (50 in all) and the queries of each page again: the personalized
page's count must not grow with blocks or segments (one decision per request, catalogs
compiled per configuration version).
"""

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench.databases import BackendUnavailable, run_worker, scratch_database
from bench.results import Result
from bench.timing import summary, timed

NAME = "pages"
BLOCKS = 5
QUERY = "?utm_source=newsletter"
BROWSER = {
    "HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
    "HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pages")
    group.add_argument(
        "--pages-requests",
        type=int,
        default=300,
        help="timed GETs per page and backend, alternating, after 50 warm-up (300)",
    )
    group.add_argument(
        "--pages-compare-wp",
        action="store_true",
        help="also build (once) the wagtail-personalisation project's virtualenv under "
        "bench/wagtail_personalisation/ from its pinned requirements and measure it",
    )
    group.add_argument(
        "--pages-target-ratio",
        type=float,
        default=1.2,
        help="personalized / plain page p50 the page must stay under (1.2)",
    )


def run(args: argparse.Namespace) -> list[Result]:
    options = {"requests": args.pages_requests}
    results: list[Result] = []
    pz_sqlite: dict[str, Any] | None = None
    for backend in args.backends:
        print(
            f"\n[pages] {backend}: a page with {BLOCKS} personalized blocks vs {BLOCKS} plain "
            f"blocks, {options['requests']} GETs each; queries at 5 and 50 segments",
            flush=True,
        )
        try:
            with scratch_database(backend, pg_url=args.pg_url) as database:
                figures = run_worker(
                    "bench.pages:measure", database, options, redis_url=args.redis_url
                )
        except BackendUnavailable as exc:
            print(f"[pages] {backend}: SKIPPED - {exc}", flush=True)
            continue
        print(f"[pages] {backend}: shown {figures['shown']}", flush=True)
        results.extend(_results(backend, figures, args.pages_target_ratio))
        if backend == "sqlite":
            pz_sqlite = figures
    if args.pages_compare_wp:
        results.extend(_compare_wp(options, pz_sqlite))
    return results


# --- wagtail-personalisation, in its own virtualenv --------------------------------------

WP_PROJECT = Path(__file__).resolve().parent / "wagtail_personalisation"


def wp_python() -> Path:
    """The comparison project's interpreter: its virtualenv, (re)built with pip from the
    configured package index when its pinned requirements changed."""
    venv = WP_PROJECT / ".venv"
    requirements = WP_PROJECT / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    marker = venv / "requirements.sha256"
    python = venv / "bin" / "python"
    if not python.exists() or not marker.exists() or marker.read_text() != digest:
        print(f"[pages] building {venv} from {requirements.name}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)  # noqa: S603
        subprocess.run(  # noqa: S603 - pip of the virtualenv just made
            [str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True
        )
        marker.write_text(digest)
    return python


def _compare_wp(options: dict[str, Any], pz: dict[str, Any] | None) -> list[Result]:
    python = wp_python()
    with tempfile.TemporaryDirectory(prefix="pz-bench-wp-pages-") as directory:
        output = Path(directory) / "figures.json"
        subprocess.run(  # noqa: S603 - the comparison project's own interpreter
            [
                str(python),
                str(WP_PROJECT / "measure.py"),
                "--requests",
                str(options["requests"]),
                "--database",
                str(Path(directory) / "wp.sqlite3"),
                "--output",
                str(output),
            ],
            cwd=WP_PROJECT,
            check=True,
        )
        wp = json.loads(output.read_text())
    versions = ", ".join(f"{k} {v}" for k, v in wp["versions"].items())
    print(f"[pages] wagtail-personalisation: {versions}", flush=True)
    own, base = wp["pages"]["personalized"], wp["pages"]["plain"]
    case = "wagtail-personalisation"
    results = [
        Result(
            NAME,
            case,
            "page p50",
            own["p50"],
            "ms",
            base["p50"],
            better="lower",
            note="its 5 PersonalisedStructBlock slots; baseline: its plain page",
        )
    ]
    for segments in ("5", "50"):
        counts = wp["queries"][segments]
        results.append(
            Result(
                NAME,
                case,
                f"queries at {segments} segments",
                counts["personalized"],
                "queries",
                counts["plain"],
                better="lower",
                note="baseline: its plain page (its segment refresh runs on every page)",
            )
        )
    if pz is not None:
        results.append(
            Result(
                NAME,
                "pz vs wagtail-personalisation",
                "personalized page p50",
                pz["personalized"]["p50"],
                "ms",
                own["p50"],
                better="lower",
                note="sqlite, same run; pz's full middleware stack vs its minimal one",
            )
        )
    return results


def _results(backend: str, figures: dict[str, Any], target: float) -> list[Result]:
    own, base = figures["personalized"], figures["plain"]
    queries = figures["queries"]
    results = [
        Result(
            NAME,
            backend,
            f"page {pct}",
            own[pct],
            "ms",
            base[pct],
            better="lower",
            note=f"wall, test Client GET; baseline: the plain page {pct}",
        )
        for pct in ("p50", "p90", "p99")
    ]
    ratio = own["p50"] / base["p50"]
    results.append(
        Result(
            NAME,
            backend,
            "page p50 ratio vs target",
            ratio,
            "x",
            target,
            better="lower",
            note=("target MET" if ratio <= target else "target NOT MET") + f" ({own['n']} GETs)",
        )
    )
    for segments in ("5", "50"):
        results.append(
            Result(
                NAME,
                backend,
                f"queries at {segments} segments",
                queries[segments]["personalized"],
                "queries",
                queries[segments]["plain"],
                better="lower",
                note=f"{BLOCKS} personalized blocks; baseline: the plain page; "
                f"1 block: {queries[segments]['one_block']}",
            )
        )
    return results


# --- the worker --------------------------------------------------------------------------


def measure(options: dict[str, Any]) -> dict[str, Any]:
    from django.test.utils import override_settings

    with override_settings(PZ_MIN_SEGMENT_SIZE=1, ALLOWED_HOSTS=["*"]):
        return _measure(options)


def _hero(heading: str) -> list[dict[str, Any]]:
    return [{"type": "hero", "value": {"heading": heading, "subheading": "", "theme": "dark"}}]


def _audience(**parts: Any) -> dict[str, Any]:
    empty = {"segments_any": [], "segments_all": [], "segments_none": [], "device": ""}
    return {**empty, "countries": "", "starts_at": None, "ends_at": None, **parts}


def _block(index: int) -> dict[str, Any]:
    return {
        "type": "personalized",
        "id": str(uuid.uuid4()),
        "value": {
            "name": f"Block {index}",
            "variants": [
                {
                    "key": "buyers",
                    "audience": _audience(segments_any=["seg-buyers"]),
                    "content": _hero(f"Thanks for buying {index}"),
                },
                {
                    "key": "newsletter",
                    "audience": _audience(segments_any=["seg-newsletter"]),
                    "content": _hero(f"Hello, reader {index}"),
                },
                {
                    "key": "mobile",
                    "audience": _audience(device="mobile"),
                    "content": _hero(f"On the go {index}"),
                },
            ],
            "fallback": _hero(f"Welcome {index}"),
            "min_height": None,
        },
    }


def _segments(start: int, stop: int) -> None:
    from segments.services import segment_save

    for i in range(start, stop):
        rules = [
            {"field": "context.utm_source", "op": "eq", "value": f"source-{i}"},
            {"field": "profile.counters.page_view", "op": "gte", "value": 100 + i},
            {"field": "context.country", "op": "in", "value": ["FR", "IT"]},
        ]
        segment_save(key=f"seg-{i}", name=f"Segment {i}", rule=rules[i % 3])


def _set_up() -> tuple[str, Any, Any]:
    from wagtail.models import Locale, Page, Site

    from pages.models import HomePage, LandingPage
    from segments.services import segment_save
    from tracking.services import ingest_events

    visitor = "bench-pages-visitor"
    ingest_events([{"type": "page_view", "visitor_id": visitor} for _ in range(5)])
    segment_save(
        key="seg-buyers", name="Buyers", rule={"field": "profile.orders", "op": "gt", "value": 0}
    )
    segment_save(
        key="seg-newsletter",
        name="Newsletter readers",
        rule={"field": "context.utm_source", "op": "eq", "value": "newsletter"},
    )
    _segments(0, 3)  # 5 segments
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node()
    home = HomePage(title="Home", slug="bench-home", body=[_block(i) for i in range(BLOCKS)])
    root.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "testserver", "root_page": home}
    )
    plain = LandingPage(
        title="Plain", slug="plain", body=_hero_blocks([f"Hello, reader {i}" for i in range(5)])
    )
    home.add_child(instance=plain)
    plain.save_revision().publish()
    one = LandingPage(title="One", slug="one", body=[_block(0)])
    home.add_child(instance=one)
    one.save_revision().publish()
    return visitor, home, plain


def _hero_blocks(headings: list[str]) -> list[dict[str, Any]]:
    return [_hero(heading)[0] for heading in headings]


def _measure(options: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.callers import visitor_token

    visitor, _, _ = _set_up()
    client = Client(**BROWSER)
    client.cookies[settings.PZ_VISITOR_COOKIE] = visitor_token(visitor)
    paths = {"personalized": "/" + QUERY, "plain": "/plain/" + QUERY, "one_block": "/one/" + QUERY}

    def get(path: str) -> Any:
        response = client.get(path)
        if response.status_code != 200:
            raise AssertionError(f"GET {path}: HTTP {response.status_code}")
        return response

    def queries() -> dict[str, int]:
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
    shown = [f"Hello, reader {i}" in html for i in range(BLOCKS)]
    if not all(shown):
        raise AssertionError("the personalized page should show the newsletter variants")
    counts = {"5": queries()}
    samples: dict[str, tuple[list[int], list[int]]] = {
        "personalized": ([], []),
        "plain": ([], []),
    }
    for _ in range(options["requests"]):
        for name in ("personalized", "plain"):
            timed(lambda n=name: get(paths[n]), *samples[name])
    _segments(3, 48)  # 50 segments
    counts["50"] = queries()
    return {
        "shown": "newsletter variant in all 5 blocks",
        "personalized": summary(samples["personalized"][0], unit_ns=1e6),
        "plain": summary(samples["plain"][0], unit_ns=1e6),
        "queries": counts,
    }


if __name__ == "__main__":
    from bench.run import main

    sys.exit(main(["pages", *sys.argv[1:]]))
