"""Ingest throughput: events/s through `POST /api/v1/events`, profiles updated.

Each backend runs in its own Django process on a scratch database. Requests go through
Django's test `Client` in-process: the full middleware stack, DRF view, parser,
validation, `tracking.services.ingest_events` and the database, but no HTTP server or
socket. The baseline, measured in the same process on the same rows, is a plain
`Event.objects.bulk_create` (no validation, no profiles): the ratio says what the
endpoint costs on top of storing the rows at all.
"""

import argparse
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from time import perf_counter
from typing import Any

from bench import traffic
from bench.databases import BackendUnavailable, run_worker, scratch_database
from bench.results import RESULTS_DIR, Result, median, percentile

NAME = "ingest"
ENDPOINT = "/api/v1/events"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("ingest")
    group.add_argument(
        "--ingest-events",
        type=int,
        default=20_000,
        help="events measured per repeat and backend, after one warm-up batch (20000)",
    )
    group.add_argument("--ingest-batch-size", type=int, default=500, help="events per request")
    group.add_argument("--ingest-visitors", type=int, default=2_000, help="distinct visitors")
    group.add_argument(
        "--ingest-target",
        type=float,
        default=10_000,
        help="events/s the PostgreSQL figure is checked against (10000)",
    )
    group.add_argument(
        "--ingest-profile",
        action="store_true",
        help="after measuring, profile one more pass (SQL timings and cProfile) per backend",
    )


def run(args: argparse.Namespace) -> list[Result]:
    options = {
        "events": args.ingest_events,
        "batch_size": args.ingest_batch_size,
        "visitors": args.ingest_visitors,
        "repeats": args.repeats,
        "seed": args.seed,
        "profile": args.ingest_profile,
        "profile_dir": str(RESULTS_DIR),
    }
    results: list[Result] = []
    for backend in args.backends:
        print(
            f"[ingest] {backend}: creating and migrating a scratch database, then measuring",
            flush=True,
        )
        try:
            with scratch_database(backend, pg_url=args.pg_url) as database:
                figures = run_worker(
                    "bench.ingest:measure", database, options, redis_url=args.redis_url
                )
        except BackendUnavailable as exc:
            print(f"[ingest] {backend}: SKIPPED - {exc}", flush=True)
            continue
        results.extend(_results(backend, figures, args))
        if figures.get("profile"):
            print(format_profile(backend, figures["profile"]), flush=True)
    return results


def _results(backend: str, figures: dict[str, Any], args: argparse.Namespace) -> list[Result]:
    ingest, base = figures["ingest"], figures["baseline"]
    ingest_eps, base_eps = median(ingest["events_per_s"]), median(base["events_per_s"])
    runs = " / ".join(f"{v:,.0f}" for v in ingest["events_per_s"])
    setup = f"{figures['measured_events']} events x {len(ingest['events_per_s'])} runs"
    results = [
        Result(
            NAME,
            backend,
            "ingest events/s",
            ingest_eps,
            "ev/s",
            base_eps,
            note=f"median; runs {runs}; {setup}",
        ),
        Result(
            NAME,
            backend,
            "batch latency p50",
            percentile(ingest["batch_ms"], 50),
            "ms",
            percentile(base["batch_ms"], 50),
            better="lower",
            note=f"{figures['batch_size']} events per request",
        ),
        Result(
            NAME,
            backend,
            "batch latency p99",
            percentile(ingest["batch_ms"], 99),
            "ms",
            percentile(base["batch_ms"], 99),
            better="lower",
            note=f"over {len(ingest['batch_ms'])} batches",
        ),
    ]
    if backend == "postgresql":
        met = ingest_eps >= args.ingest_target
        results.append(
            Result(
                NAME,
                backend,
                "vs target events/s",
                ingest_eps,
                "ev/s",
                args.ingest_target,
                note="target MET" if met else "target NOT MET (see --ingest-profile)",
            )
        )
    return results


# --- inside the Django worker process ------------------------------------------------


def measure(options: dict[str, Any]) -> dict[str, Any]:
    """Alternate baseline and ingest passes `repeats` times on the same rows, each pass
    on emptied tables and after one unmeasured warm-up batch."""
    from django.test import Client

    from core import clock
    from core.services import create_server_key
    from tracking.models import Event, VisitorProfile

    size = options["batch_size"]
    measured_batches = max(1, options["events"] // size)
    now = clock.now()
    events = traffic.generate_events(
        seed=options["seed"],
        visitors=options["visitors"],
        events=size * (measured_batches + 1),
        now=now,
    )
    chunks = traffic.batches(events, size)
    bodies = [json.dumps({"events": chunk}).encode() for chunk in chunks]
    rows = [[_event_row(event, now) for event in chunk] for chunk in chunks]
    # Batches name visitors of their own choosing, as the shop's backend does: a server key.
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_server_key(name='bench')[1]}")

    figures: dict[str, Any] = {
        "batch_size": size,
        "measured_events": size * measured_batches,
        "visitors_seen": len({e["visitor_id"] for e in events}),
        "baseline": {"events_per_s": [], "batch_ms": []},
        "ingest": {"events_per_s": [], "batch_ms": []},
    }
    for _ in range(options["repeats"]):
        for kind, run_pass in (
            ("baseline", lambda: _baseline_pass(rows)),
            ("ingest", lambda: _ingest_pass(client, bodies, chunks)),
        ):
            seconds, batch_seconds = run_pass()
            figures[kind]["events_per_s"].append(figures["measured_events"] / seconds)
            figures[kind]["batch_ms"].extend(s * 1000 for s in batch_seconds)
    # The last pass was an ingest pass: check it stored everything and built the profiles.
    figures["stored"] = {
        "events": Event.objects.count(),
        "profiles": VisitorProfile.objects.count(),
        "purchasers": VisitorProfile.objects.filter(orders__gt=0).count(),
    }
    assert figures["stored"]["events"] == len(events), figures["stored"]
    assert figures["stored"]["profiles"] == figures["visitors_seen"], figures["stored"]
    if options["profile"]:
        figures["profile"] = _profile(client, bodies, chunks, rows, options["profile_dir"])
    return figures


def _event_row(event: dict[str, Any], received_at: datetime) -> dict[str, Any]:
    import uuid

    return {
        "event_id": uuid.UUID(event["event_id"]) if "event_id" in event else None,
        "visitor_id": event["visitor_id"],
        "session_id": event["session_id"],
        "type": event["type"],
        "timestamp": datetime.fromisoformat(event["timestamp"]),
        "received_at": received_at,
        "properties": event["properties"],
        "context": event["context"],
    }


def _reset() -> None:
    from django.core.cache import cache
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from tracking.models import Event, VisitorAlias, VisitorProfile

    tables = [m._meta.db_table for m in (Event, VisitorProfile, VisitorAlias)]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in connection.ops.sql_flush(no_style(), tables, reset_sequences=True):
            cursor.execute(statement)
    cache.clear()


def _baseline_pass(rows: list[list[dict[str, Any]]]) -> tuple[float, list[float]]:
    from tracking.models import Event

    _reset()
    Event.objects.bulk_create([Event(**row) for row in rows[0]])
    batch_seconds = []
    started = perf_counter()
    for batch in rows[1:]:
        before = perf_counter()
        Event.objects.bulk_create([Event(**row) for row in batch])
        batch_seconds.append(perf_counter() - before)
    return perf_counter() - started, batch_seconds


def _ingest_pass(
    client: Any,
    bodies: list[bytes],
    chunks: list[list[dict[str, Any]]],
    around: AbstractContextManager[Any] | None = None,
) -> tuple[float, list[float]]:
    """Post every batch; `around` wraps the measured batches only (not the warm-up)."""
    _reset()
    _post(client, bodies[0], len(chunks[0]))
    batch_seconds = []
    with around or nullcontext():
        started = perf_counter()
        for body, chunk in zip(bodies[1:], chunks[1:], strict=True):
            before = perf_counter()
            response = client.post(ENDPOINT, body, content_type="application/json")
            batch_seconds.append(perf_counter() - before)
            _check(response, len(chunk))
        elapsed = perf_counter() - started
    return elapsed, batch_seconds


def _post(client: Any, body: bytes, expected: int) -> None:
    _check(client.post(ENDPOINT, body, content_type="application/json"), expected)


def _check(response: Any, expected: int) -> None:
    if response.status_code != 202:
        raise AssertionError(f"HTTP {response.status_code}: {response.content[:500]!r}")
    result = response.json()
    if result["accepted"] != expected or result["rejected"]:
        raise AssertionError(
            f"accepted {result['accepted']} of {expected}: {result['rejected'][:3]}"
        )


# --- profiling ------------------------------------------------------------------------

SQL_KINDS = (
    ('INSERT INTO "tracking_event"', "insert events"),
    ('INSERT INTO "tracking_visitorprofile"', "insert new profiles"),
    ('UPDATE "tracking_visitorprofile"', "update profiles (bulk_update)"),
    ('SELECT "tracking_visitoralias"', "select aliases"),
    ('SELECT "tracking_event"', "select duplicate event_ids"),
    ('SELECT "tracking_visitorprofile"', "select profiles FOR UPDATE"),
)


def _sql_kind(sql: str) -> str:
    sql = sql.replace("INSERT OR IGNORE INTO", "INSERT INTO", 1)  # SQLite's ignore_conflicts
    for prefix, kind in SQL_KINDS:
        if sql.startswith(prefix):
            return kind
    return sql.split(" ", 1)[0].lower() + " (other)"


def _profile(
    client: Any,
    bodies: list[bytes],
    chunks: list[list[dict[str, Any]]],
    rows: list[list[dict[str, Any]]],
    directory: str,
) -> dict[str, Any]:
    """Two more passes: one timing every SQL statement (cheap, so the shares are true),
    one under cProfile (Python hotspots; cProfile inflates Python, not SQL, time)."""
    import cProfile
    import pstats
    from pathlib import Path

    from django.db import connection

    sql: dict[str, list[float]] = {}

    def timed(execute: Any, statement: str, params: Any, many: bool, context: Any) -> Any:
        before = perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            entry = sql.setdefault(_sql_kind(statement), [0, 0.0])
            entry[0] += 1
            entry[1] += perf_counter() - before

    measured = len(bodies) - 1
    wall, _ = _ingest_pass(client, bodies, chunks, around=connection.execute_wrapper(timed))

    profiler = cProfile.Profile()
    _ingest_pass(client, bodies, chunks, around=_profiling(profiler))
    what_if = _what_if_profile_writes(chunks[1:])
    what_if_events = _what_if_event_insert(rows[1:])
    Path(directory).mkdir(parents=True, exist_ok=True)
    dump = Path(directory) / f"ingest-{connection.vendor}.prof"
    profiler.dump_stats(str(dump))
    stats = pstats.Stats(profiler)
    return {
        "batch_ms": wall * 1000 / measured,
        "sql_ms_per_batch": {
            kind: {"count": count / measured, "ms": seconds * 1000 / measured}
            for kind, (count, seconds) in sql.items()
        },
        "children": {
            name: _children(stats, name, measured)
            for name in ("post", "ingest_events", "_store_valid_events", "manager_method")
        },
        "top_own_time": _top_own_time(stats, measured),
        "dump": str(dump),
        "what_if_profile_write": what_if,
        "what_if_event_insert": what_if_events,
    }


EVENT_COLUMNS = (
    "event_id",
    "visitor_id",
    "session_id",
    "type",
    "timestamp",
    "received_at",
    "properties",
    "context",
)


def _what_if_event_insert(rows: list[list[dict[str, Any]]]) -> dict[str, Any] | None:
    """PostgreSQL only: one batch of events stored with `bulk_create` against `COPY`,
    alternating batch by batch so both see the same noise."""
    from django.db import connection, transaction

    from tracking.models import Event

    if connection.vendor != "postgresql":
        return None
    from psycopg import sql
    from psycopg.types.json import Jsonb

    copy_statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(Event._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, EVENT_COLUMNS))
    )
    _reset()
    timings: dict[str, list[float]] = {"bulk_create": [], "copy": []}
    for position, batch in enumerate(rows[:20]):
        method = "copy" if position % 2 else "bulk_create"
        before = perf_counter()
        with transaction.atomic():
            if method == "bulk_create":
                Event.objects.bulk_create([Event(**row) for row in batch])
            else:
                with connection.cursor() as cursor, cursor.cursor.copy(copy_statement) as copy:
                    for row in batch:
                        copy.write_row(
                            [
                                Jsonb(row[c]) if c in ("properties", "context") else row[c]
                                for c in EVENT_COLUMNS
                            ]
                        )
        timings[method].append((perf_counter() - before) * 1000)
    return {"events_per_batch": len(rows[0]), **{k: median(v) for k, v in timings.items()}}


def _what_if_profile_writes(chunks: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Time the profile write of one batch as the service does it (`bulk_update`, one
    CASE WHEN per field and row) against one INSERT .. ON CONFLICT DO UPDATE
    (`bulk_create(update_conflicts=True)`), on the profiles the last pass left."""
    from django.db import transaction

    from core import clock
    from tracking.models import VisitorProfile
    from tracking.services import PROFILE_WRITE_FIELDS

    per_batch = round(sum(len({e["visitor_id"] for e in c}) for c in chunks) / len(chunks))
    profiles = list(VisitorProfile.objects.order_by("visitor_id"))
    groups = [profiles[i : i + per_batch] for i in range(0, len(profiles), per_batch)][:10]
    timings: dict[str, list[float]] = {"bulk_update": [], "upsert": []}
    for group in groups:
        for profile in group:
            profile.updated_at = clock.now()
        for method in ("bulk_update", "upsert"):
            before = perf_counter()
            with transaction.atomic():
                if method == "bulk_update":
                    VisitorProfile.objects.bulk_update(group, PROFILE_WRITE_FIELDS, batch_size=500)
                else:
                    VisitorProfile.objects.bulk_create(
                        group,
                        update_conflicts=True,
                        unique_fields=["visitor_id"],
                        update_fields=list(PROFILE_WRITE_FIELDS),
                    )
            timings[method].append((perf_counter() - before) * 1000)
    return {
        "profiles_per_batch": per_batch,
        "fields": len(PROFILE_WRITE_FIELDS),
        **{method: median(values) for method, values in timings.items()},
    }


@contextmanager
def _profiling(profiler: Any) -> Iterator[None]:
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


def _key_for(stats: Any, function: str) -> tuple[str, int, str] | None:
    wanted = {
        "post": "tracking/api/views.py",
        "manager_method": "django/db/models/manager.py",
    }.get(function, "tracking/services.py")
    for key in stats.stats:
        if key[2] == function and key[0].endswith(wanted):
            return key
    return None


def _children(stats: Any, function: str, batches: int) -> list[tuple[str, float, float]]:
    """Callees of `function` with the cumulative ms per batch spent under each, and the
    function's own total ms per batch."""
    parent = _key_for(stats, function)
    if parent is None:
        return []
    total = stats.stats[parent][3] * 1000 / batches
    rows = [("(total)", total, 100.0)]
    for key, (_, _, _, _, callers) in stats.stats.items():
        if parent in callers:
            ms = callers[parent][3] * 1000 / batches
            rows.append((_label(key), ms, 100 * ms / total if total else 0.0))
    rows.sort(key=lambda row: -row[1])
    return rows[:12]


def _top_own_time(stats: Any, batches: int) -> list[tuple[str, float, int]]:
    rows = [
        (_label(key), tt * 1000 / batches, int(nc / batches))
        for key, (_, nc, tt, _, _) in stats.stats.items()
    ]
    rows.sort(key=lambda row: -row[1])
    return rows[:15]


def _label(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    for marker in ("site-packages/", "/work/main/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    return f"{function} ({filename}:{line})" if line else function


def format_profile(backend: str, profile: dict[str, Any]) -> str:
    lines = [
        "",
        f"[ingest] {backend} profile: {profile['batch_ms']:.1f} ms per batch with SQL timing on",
        "  SQL per batch (statements, ms, share of the batch):",
    ]
    for kind, entry in sorted(profile["sql_ms_per_batch"].items(), key=lambda kv: -kv[1]["ms"]):
        share = 100 * entry["ms"] / profile["batch_ms"]
        lines.append(f"    {kind:<34} {entry['count']:6.1f} {entry['ms']:8.1f} ms {share:5.1f}%")
    for name, rows in profile["children"].items():
        lines.append(f"  cProfile, under {name}() (cumulative ms per batch, share):")
        lines.extend(f"    {ms:8.1f} ms {share:5.1f}%  {label}" for label, ms, share in rows)
    lines.append("  cProfile, own time (ms per batch, calls per batch):")
    lines.extend(
        f"    {ms:8.1f} ms {calls:8d}  {label}" for label, ms, calls in profile["top_own_time"]
    )
    what_if = profile["what_if_profile_write"]
    lines.append(
        f"  what if: writing {what_if['profiles_per_batch']} profiles x {what_if['fields']} "
        f"fields (one batch): bulk_update {what_if['bulk_update']:.1f} ms, "
        f"INSERT .. ON CONFLICT DO UPDATE {what_if['upsert']:.1f} ms (median of 10)"
    )
    events = profile.get("what_if_event_insert")
    if events:
        lines.append(
            f"  what if: storing {events['events_per_batch']} events (one batch): "
            f"bulk_create {events['bulk_create']:.1f} ms, COPY {events['copy']:.1f} ms "
            "(median of 10 each, alternating)"
        )
    lines.append(f"  full profile: {profile['dump']} (python -m pstats)")
    return "\n".join(lines)
