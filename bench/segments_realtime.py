"""Real-time segments: 30 segments of 5-10 conditions for one visitor, median/p99 µs.

Runs in one Django process on a scratch database (SQLite unless
`--segments-realtime-backend` says otherwise; a warm cache means the request path
makes no query, which the benchmark checks). Setup, untimed: 30 rule segments and one
static list saved through `segments.services.segment_save` (eager Celery, so each is
materialized on save, over one profile), one known visitor with CRM attributes
(`import_customer_attributes`) and ~100 events of storefront traffic over 30 days
stored by `tracking.services.ingest_events`.

Timed, interleaved call by call so every case sees the same noise:
- `profile read` (the baseline): `tracking.selectors.get_profile_entry(visitor_id)`,
  a warm cache hit (local memory unless `--redis-url`);
- `evaluator, prepared Facts`: `evaluate_segments(rules, facts)` with the rules
  compiled once and the `Facts` built once, so window aggregates are memoized after the
  first call: the rule trees alone;
- `evaluator, fresh windows`: the same with a new `InMemoryEventWindows` over the
  visitor's recent events per call, as a request computes them;
- `request path`: `segments.selectors.visitor_context(visitor_id, context)`: the
  cache `get_many` (catalog version, profile, recent events), `ProfileDocument`,
  the windows and the 30 rules.

Each call is timed with `perf_counter_ns` (wall) and `thread_time_ns` (CPU of this
thread): on a busy 2-core machine the wall p99 catches preemption, the CPU p99 does not.
"""

import argparse
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench import traffic
from bench.databases import BACKENDS, BackendUnavailable, run_worker, scratch_database
from bench.results import Result
from bench.timing import latency_results, summary, timed, timer_overhead

NAME = "segments_realtime"
CUSTOMER_ID = "bench-customer-1001"
STATIC_LIST = "crm-vip-list"
CATEGORIES = ("outdoor", "apparel", "kitchen", "electronics", "home")
EU = ["DE", "FR", "NL", "ES", "IT", "PL", "AT", "BE"]
# The request the visitor makes while being evaluated.
CONTEXT = {
    "device": "mobile",
    "country": "DE",
    "city": "Berlin",
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "spring-sale",
    "local_hour": 20,
    "local_weekday": 6,
    "logged_in": True,
    "path": "/c/outdoor/tents",
    "query": {"promo": "spring"},
}
CASES = ("baseline", "evaluator_prepared", "evaluator_fresh", "request")
LABELS = {
    "evaluator_prepared": "evaluator, prepared Facts",
    "evaluator_fresh": "evaluator, fresh windows",
    "request": "request path",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("segments_realtime")
    group.add_argument(
        "--segments-realtime-iterations",
        type=int,
        default=5_000,
        help="timed calls per case, interleaved (5000)",
    )
    group.add_argument(
        "--segments-realtime-events", type=int, default=100, help="events of the visitor (100)"
    )
    group.add_argument(
        "--segments-realtime-target-us",
        type=float,
        default=2_000,
        help="p99 in microseconds the evaluation must stay under (2000)",
    )
    group.add_argument(
        "--segments-realtime-backend",
        default="sqlite",
        choices=BACKENDS,
        help="database of the setup; a warm request makes no query (sqlite)",
    )


# --- the 30 segments (pure data) ------------------------------------------------------


def _field(path: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": path, "op": op, "value": value}


def _events(spec: dict[str, Any], op: str, value: Any) -> dict[str, Any]:
    return {"events": spec, "op": op, "value": value}


def _category_rules(category: str) -> list[tuple[str, dict[str, Any]]]:
    """Four segments per top-level category: enthusiasts, cart recovery, big spenders
    and lapsing interest."""
    in_category = {"category": {"startswith": f"{category}/"}}
    return [
        (
            f"{category}-enthusiast",
            {
                "all": [
                    _field(f"profile.interest.{category}", "gte", 1.5),
                    _events(
                        {"type": "product_view", "where": in_category, "within": "30d"}, "gte", 2
                    ),
                    {
                        "any": [
                            _field("profile.orders", "gte", 1),
                            _field("profile.counters.add_to_cart", "gte", 2),
                        ]
                    },
                    {"not": _field("profile.flags.cart_abandoned", "eq", True)},
                    _field("context.device", "in", ["mobile", "tablet", "desktop"]),
                ]
            },
        ),
        (
            f"{category}-cart-recovery",
            {
                "all": [
                    _field("profile.flags.cart_abandoned", "eq", True),
                    _field("profile.cart.items", "gte", 1),
                    _events(
                        {
                            "type": "add_to_cart",
                            "where": {**in_category, "price": {"gte": 20}},
                            "within": "7d",
                        },
                        "gte",
                        1,
                    ),
                    {"not": _events({"type": "purchase", "within": "1d"}, "gte", 1)},
                    {
                        "any": [
                            _field("context.utm_source", "eq", "newsletter"),
                            _field("context.country", "in", EU),
                            _field("attributes.loyalty_tier", "in", ["gold", "platinum"]),
                        ]
                    },
                ]
            },
        ),
        (
            f"{category}-big-spender",
            {
                "all": [
                    _events(
                        {"type": "purchase", "within": "90d", "agg": "sum", "property": "revenue"},
                        "gt",
                        200,
                    ),
                    _field(f"profile.interest.{category}", "gt", 0.5),
                    _field("profile.rfm.recency_days", "lte", 60),
                    {
                        "any": [
                            _field("profile.revenue", "gte", 500),
                            _field("profile.average_order_value", "gte", 100),
                        ]
                    },
                    _field("context.country", "in", EU),
                ]
            },
        ),
        (
            f"{category}-lapsing",
            {
                "all": [
                    _field("profile.rfm.recency_days", "gt", 14),
                    _field("profile.orders", "gte", 1),
                    _field(f"profile.interest.{category}", "lt", 1),
                    {
                        "not": _events(
                            {"type": "product_view", "where": in_category, "within": "7d"},
                            "gte",
                            1,
                        )
                    },
                    _field("profile.counters.page_view", "gte", 5),
                    _field("context.logged_in", "eq", True),
                ]
            },
        ),
    ]


def segment_rules() -> list[tuple[str, dict[str, Any]]]:
    """30 rule segments, referenced segments first (a save checks references exist)."""
    rules: list[tuple[str, dict[str, Any]]] = []
    for category in CATEGORIES:
        rules.extend(_category_rules(category))
    rules += [
        (
            "vip",
            {
                "all": [
                    {
                        "any": [
                            _field("profile.rfm.label", "in", ["champions", "loyal"]),
                            {
                                "all": [
                                    _field("profile.orders", "gte", 3),
                                    _field("profile.revenue", "gte", 300),
                                ]
                            },
                        ]
                    },
                    _field("attributes.loyalty_tier", "in", ["gold", "platinum"]),
                    _field("profile.flags.known", "eq", True),
                    _field("profile.engagement", "gt", 1),
                ]
            },
        ),
        (
            "vip-at-risk",
            {
                "all": [
                    {"segment": "vip"},
                    _field("profile.rfm.recency_days", "gt", 30),
                    {"not": _events({"type": "purchase", "within": "30d"}, "gte", 1)},
                    _field("profile.sessions", "gte", 3),
                    {"not": _field("context.utm_source", "eq", "newsletter")},
                ]
            },
        ),
        (
            "outdoor-not-apparel",
            {
                "all": [
                    {"segment": "outdoor-enthusiast"},
                    {"not": {"segment": "apparel-enthusiast"}},
                    _field("profile.interest.apparel", "lt", 1),
                    _events({"type": "click", "within": "14d"}, "gte", 1),
                    _field("context.path", "startswith", "/c/outdoor"),
                ]
            },
        ),
        (
            "crm-list-engaged",
            {
                "all": [
                    {"segment": STATIC_LIST},
                    _field("attributes.age_band", "in", ["25-34", "35-44"]),
                    _events({"type": "page_view", "within": "7d"}, "gte", 1),
                    _field("profile.engagement", "gte", 0.5),
                    {"not": _field("context.query.promo", "exists", False)},
                ]
            },
        ),
        (
            "mobile-evening",
            {
                "all": [
                    _field("context.device", "eq", "mobile"),
                    _field("context.local_hour", "gte", 18),
                    _events({"type": "page_view", "within": "1d"}, "gte", 1),
                    _field("profile.sessions", "gte", 2),
                    _field("profile.last_context.device", "eq", "mobile"),
                    {"not": _field("profile.flags.high_intent", "eq", True)},
                ]
            },
        ),
        (
            "newsletter-clickers",
            {
                "all": [
                    _field("context.utm_source", "eq", "newsletter"),
                    _field("context.utm_medium", "eq", "email"),
                    _field("profile.counters.click", "gte", 1),
                    _events({"type": "click", "within": "14d"}, "gte", 1),
                    _field("attributes.age_band", "in", ["25-34", "35-44", "45-54"]),
                    _field("attributes.gender", "ne", "unknown"),
                ]
            },
        ),
        (
            "high-intent-now",
            {
                "all": [
                    _field("profile.flags.high_intent", "eq", True),
                    _field("profile.cart.value", "gte", 50),
                    _events({"type": "checkout_start", "within": "1d"}, "gte", 1),
                    {"not": {"segment": "vip"}},
                    _field("context.logged_in", "eq", True),
                    {
                        "any": [
                            _field("context.device", "eq", "desktop"),
                            _field("context.local_hour", "lt", 22),
                        ]
                    },
                    _field("profile.cart.items", "gte", 1),
                    _field("attributes.loyalty_tier", "exists", True),
                    _field("profile.rfm.r", "gte", 3),
                ]
            },
        ),
        (
            "searcher-no-buy",
            {
                "all": [
                    _events({"type": "search", "within": "7d"}, "gte", 2),
                    _field("profile.orders", "eq", 0),
                    _field("profile.counters.product_view", "gte", 5),
                    {"not": _field("profile.flags.known", "eq", True)},
                    _field("context.query.promo", "exists", False),
                ]
            },
        ),
        (
            "weekend-browsers",
            {
                "all": [
                    _field("context.local_weekday", "in", [6, 7]),
                    _events({"type": "product_view", "within": "2d"}, "gte", 3),
                    _events(
                        {
                            "type": "product_view",
                            "within": "14d",
                            "agg": "max",
                            "property": "price",
                        },
                        "gte",
                        100,
                    ),
                    _field("profile.first_seen", "gte", "2024-01-01"),
                    {
                        "any": [
                            _field("profile.interest.home", "gte", 0.5),
                            _field("profile.interest.kitchen", "gte", 0.5),
                        ]
                    },
                ]
            },
        ),
        (
            "de-returning-buyers",
            {
                "all": [
                    _field("context.country", "eq", "DE"),
                    _field("profile.last_context.country", "in", EU),
                    _field("profile.orders", "gte", 2),
                    _events(
                        {
                            "type": "purchase",
                            "within": "365d",
                            "where": {"currency": {"eq": "EUR"}},
                        },
                        "gte",
                        2,
                    ),
                    {"not": _field("profile.rfm.label", "in", ["hibernating", "at_risk"])},
                    _field("attributes.city", "exists", True),
                    _field("profile.average_order_value", "gte", 40),
                    _field("context.local_hour", "gte", 6),
                    _events(
                        {"type": "add_to_cart", "within": "30d", "agg": "sum", "property": "price"},
                        "gte",
                        50,
                    ),
                ]
            },
        ),
    ]
    return rules


def leaves(rule: Any) -> int:
    """Conditions of a rule: field, events and segment nodes."""
    for group in ("all", "any"):
        if group in rule:
            return sum(leaves(child) for child in rule[group])
    if "not" in rule:
        return leaves(rule["not"])
    return 1


# --- the parent process ---------------------------------------------------------------


def run(args: argparse.Namespace) -> list[Result]:
    backend = args.segments_realtime_backend
    options = {
        "iterations": args.segments_realtime_iterations,
        "events": args.segments_realtime_events,
        "seed": args.seed,
    }
    cache = "redis" if args.redis_url else "locmem"
    print(
        f"\n[segments_realtime] {backend} + {cache} cache: saving 30 segments, ingesting "
        f"{options['events']} events, then {options['iterations']:,} calls per case",
        flush=True,
    )
    try:
        with scratch_database(backend, pg_url=args.pg_url) as database:
            figures = run_worker(
                "bench.segments_realtime:measure", database, options, redis_url=args.redis_url
            )
    except BackendUnavailable as exc:
        print(f"[segments_realtime] {backend}: SKIPPED - {exc}", flush=True)
        return []
    print(format_setup(figures), flush=True)
    return _results(f"{backend}+{cache}", figures, args.segments_realtime_target_us)


def format_setup(figures: dict[str, Any]) -> str:
    setup = figures["setup"]
    return (
        f"[segments_realtime] {setup['segments']} rule segments ({setup['conditions_min']}-"
        f"{setup['conditions_max']} conditions, {setup['conditions_total']} in all, "
        f"{setup['real_time_only']} real-time only), {setup['windows']} distinct event "
        f"windows; visitor: {setup['events_stored']} events stored, "
        f"{setup['recent_events']} kept as recent; matched {setup['matched']} segments: "
        f"{', '.join(setup['matched_keys'])}; SQL queries in a warm request: "
        f"{setup['warm_queries']}; timer overhead {figures['timer_overhead_ns']} ns"
    )


def _results(case: str, figures: dict[str, Any], target_us: float) -> list[Result]:
    stats = figures["stats"]
    base = stats["baseline"]
    results = []
    for name in ("evaluator_prepared", "evaluator_fresh", "request"):
        results += latency_results(
            NAME,
            case,
            LABELS[name],
            stats[name],
            base,
            percentiles=("p50", "p90", "p99"),
            note="wall; baseline: profile read {pct}",
            cpu_decimals=1,
        )
    for name in ("evaluator_fresh", "request"):
        p99 = stats[name]["wall"]["p99"]
        results.append(
            Result(
                NAME,
                case,
                f"{LABELS[name]} p99 vs target",
                p99,
                "µs",
                target_us,
                better="lower",
                note="target MET" if p99 < target_us else "target NOT MET",
            )
        )
    return results


# --- inside the Django worker process ------------------------------------------------


def measure(options: dict[str, Any]) -> dict[str, Any]:
    """Set the segments and the visitor up, warm the cache, then time each case in turn,
    call by call."""
    import gc

    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import clock
    from segments.conditions import (
        Facts,
        InMemoryEventWindows,
        evaluate_segments,
        event_windows,
    )
    from segments.models import Segment
    from segments.selectors import load_catalog, recent_cache_key, recent_events, visitor_context
    from tracking.profile_state import ProfileDocument
    from tracking.selectors import get_profile_entry, profile_settings

    visitor_id, stored = _set_up(options)
    context = dict(CONTEXT)

    for _ in range(3):  # fills the profile and recent-events cache entries
        visitor_context(visitor_id, context)
    with CaptureQueriesContext(connection) as queries:
        warm = visitor_context(visitor_id, context)
    assert warm.personalized, "the visitor should be personalized"  # noqa: S101

    now = clock.now()
    entry = get_profile_entry(visitor_id)
    recent = cache.get(recent_cache_key(visitor_id))
    catalog = load_catalog(None)  # the rules the request path compiled, compiled again
    state = entry.state
    profile = ProfileDocument(state, now, profile_settings(), exact=True)
    memberships = frozenset(recent["memberships"])
    events = recent_events(recent)

    def facts(windows: InMemoryEventWindows) -> Facts:
        return Facts(
            profile=profile,
            attributes=state.attributes,
            context=context,
            segments=memberships,
            events=windows,
        )

    prepared = facts(InMemoryEventWindows(events, now=now))
    matched = evaluate_segments(catalog.rules, prepared)
    assert list(warm.segments) == [*matched, *sorted(memberships)], (warm.segments, matched)  # noqa: S101

    calls: dict[str, Callable[[], Any]] = {
        "baseline": lambda: get_profile_entry(visitor_id),
        "evaluator_prepared": lambda: evaluate_segments(catalog.rules, prepared),
        "evaluator_fresh": lambda: evaluate_segments(
            catalog.rules, facts(InMemoryEventWindows(events, now=now))
        ),
        "request": lambda: visitor_context(visitor_id, context),
    }
    for _ in range(200):  # warm-up
        for call in calls.values():
            call()
    wall: dict[str, list[int]] = {name: [] for name in CASES}
    cpu: dict[str, list[int]] = {name: [] for name in CASES}
    gc.collect()
    for iteration in range(options["iterations"]):
        # Rotate the order so no case always runs right after the same neighbour.
        shift = iteration % len(CASES)
        for name in CASES[shift:] + CASES[:shift]:
            timed(calls[name], wall[name], cpu[name])

    rules = dict(Segment.objects.filter(kind=Segment.Kind.RULE).values_list("key", "rule"))
    counts = [leaves(rule) for rule in rules.values()]
    return {
        "setup": {
            "segments": len(rules),
            "conditions_min": min(counts),
            "conditions_max": max(counts),
            "conditions_total": sum(counts),
            "real_time_only": Segment.objects.filter(real_time_only=True).count(),
            "windows": len({w for rule in rules.values() for w in event_windows(rule)}),
            "events_stored": stored,
            "recent_events": len(events),
            "matched": len(matched),
            "matched_keys": matched,
            "warm_queries": len(queries.captured_queries),
        },
        "timer_overhead_ns": timer_overhead(),
        "stats": {name: {"wall": summary(wall[name]), "cpu": summary(cpu[name])} for name in CASES},
    }


def _set_up(options: dict[str, Any]) -> tuple[str, int]:
    """The static list, the 30 rule segments and one known visitor with events."""
    from core import clock
    from segments.models import Segment
    from segments.services import segment_save, static_members_change
    from tracking.models import Event
    from tracking.services import import_customer_attributes, ingest_events, known_profile

    report = import_customer_attributes(
        [
            "customer_id,age_band,gender,city,loyalty_tier",
            f"{CUSTOMER_ID},35-44,female,Berlin,gold",
        ]
    )
    assert report.imported == 1, report.errors  # noqa: S101
    visitor_id = known_profile(CUSTOMER_ID).visitor_id

    static = segment_save(key=STATIC_LIST, name="CRM VIP list", kind=Segment.Kind.STATIC)
    static_members_change(segment=static, add=[visitor_id])
    for key, rule in segment_rules():
        segment_save(key=key, name=key.replace("-", " ").title(), rule=rule)

    now = clock.now()
    raw = traffic.generate_events(
        seed=options["seed"], visitors=1, events=options["events"], now=now, span=timedelta(days=30)
    )
    for event in raw:
        event["visitor_id"] = visitor_id
    result = ingest_events(raw, now=now)
    assert result.accepted == len(raw), result.rejected[:3]  # noqa: S101
    return visitor_id, Event.objects.filter(visitor_id=visitor_id).count()
