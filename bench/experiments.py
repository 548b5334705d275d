"""Experiments: assignment behind 10 conditions vs GrowthBook; results of 1M exposures.

Two parts.

`assignment` (in-process, no Django, no database): one experiment on one placement
behind 10 targeting conditions, evaluated for 2,000 synthetic visitors (~80% pass every
condition, so most calls run all ten and hash). Timed call by call with
`perf_counter_ns`, interleaved so every case sees the same noise:
- `pz`: `segments.conditions.compile_rule` of an `all` of the 10 conditions (compiled
  once), a `Facts` built per visitor, then `experiments.assignment.assign`;
- `GrowthBook, new instance` (the baseline): the GrowthBook Python SDK as its docs use
  it server-side, `GrowthBook(attributes=..., features=...)` per visitor then
  `get_feature_value`, the feature having one experiment rule whose `condition` holds
  the same 10 conditions (dotted paths, `$in` / `$ne` / `$gte` / ...);
- `GrowthBook, reused instance`: one instance, `set_attributes` per visitor (its floor).
Both sides must enrol exactly the same visitors (checked). Without the `growthbook`
package the GrowthBook cases are skipped with the reason.

`results` (PostgreSQL, a scratch `pz_bench_<pid>` database, one worker process): an
experiment with 1,000,000 exposures (2 arms) and ~150,000 purchase events generated with
`INSERT ... SELECT generate_series`, then `services.compute_results(experiment_id=...)`
timed per repeat against the baseline `SELECT count(*)` of its exposures. The load time
is reported apart.
"""

import argparse
import random
import statistics as stats
from collections.abc import Callable
from time import perf_counter, perf_counter_ns
from typing import Any

from bench.databases import BackendUnavailable, run_worker, scratch_database
from bench.results import Result, median, percentile

NAME = "experiments"
COUNTRIES = ("DE", "AT", "CH", "NL", "FR")
TIERS = ("silver", "gold", "platinum")

# The 10 conditions, as a pz rule and as a GrowthBook condition (same meaning).
PZ_CONDITIONS: list[dict[str, Any]] = [
    {"field": "context.country", "op": "in", "value": list(COUNTRIES)},
    {"field": "context.device", "op": "ne", "value": "bot"},
    {"field": "profile.orders", "op": "gte", "value": 1},
    {"field": "profile.revenue", "op": "gt", "value": 20},
    {"field": "profile.known", "op": "eq", "value": True},
    {"field": "attributes.loyalty_tier", "op": "in", "value": list(TIERS)},
    {"field": "profile.rfm.score", "op": "gte", "value": 3},
    {"field": "profile.cart.items", "op": "lt", "value": 50},
    {"field": "context.utm_source", "op": "not_in", "value": ["spam", "scraper"]},
    {"field": "profile.last_context.country", "op": "exists", "value": True},
]
GB_CONDITION: dict[str, Any] = {
    "context.country": {"$in": list(COUNTRIES)},
    "context.device": {"$ne": "bot"},
    "profile.orders": {"$gte": 1},
    "profile.revenue": {"$gt": 20},
    "profile.known": True,
    "attributes.loyalty_tier": {"$in": list(TIERS)},
    "profile.rfm.score": {"$gte": 3},
    "profile.cart.items": {"$lt": 50},
    "context.utm_source": {"$nin": ["spam", "scraper"]},
    "profile.last_context.country": {"$exists": True},
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("experiments")
    group.add_argument("--experiments-visitors", type=int, default=2000, help="visitors (2000)")
    group.add_argument(
        "--experiments-passes", type=int, default=5, help="passes over the visitors (5)"
    )
    group.add_argument(
        "--experiments-exposures", type=int, default=1_000_000, help="exposures (1000000)"
    )
    group.add_argument(
        "--experiments-purchases", type=int, default=150_000, help="purchase events (150000)"
    )
    group.add_argument(
        "--experiments-target-speedup",
        type=float,
        default=4.0,
        help="pz must be this many times faster than GrowthBook (4)",
    )
    group.add_argument("--experiments-results-target", type=float, default=5.0, help="seconds (5)")
    group.add_argument(
        "--experiments-parts",
        default="assignment,results",
        help="comma-separated parts to run: assignment,results",
    )


def visitors(count: int, seed: int) -> list[dict[str, Any]]:
    """Synthetic visitors; each condition fails for ~2% of them."""
    rng = random.Random(seed)

    def bad() -> bool:
        return rng.random() < 0.02

    rows = []
    for number in range(count):
        rows.append(
            {
                "id": f"v{number:08d}-{rng.getrandbits(48):012x}",
                "profile": {
                    "orders": 0 if bad() else rng.randint(1, 20),
                    "revenue": 5.0 if bad() else round(rng.uniform(25, 2000), 2),
                    "known": not bad(),
                    "rfm": {"score": 1 if bad() else rng.randint(3, 5), "label": "loyal"},
                    "cart": {"items": 80 if bad() else rng.randint(0, 6), "value": 42.0},
                    "last_context": {} if bad() else {"country": rng.choice(COUNTRIES)},
                    "sessions": rng.randint(1, 40),
                    "interest": {"outdoor": rng.random(), "kitchen": rng.random()},
                },
                "attributes": {"loyalty_tier": "none" if bad() else rng.choice(TIERS)},
                "context": {
                    "country": "US" if bad() else rng.choice(COUNTRIES),
                    "device": "bot" if bad() else rng.choice(("mobile", "desktop")),
                    "utm_source": "spam" if bad() else rng.choice(("google", "newsletter")),
                    "path": "/",
                },
            }
        )
    return rows


def pz_case(seed: str) -> Callable[[dict[str, Any]], str | None]:
    from experiments.assignment import ArmSpec, ExperimentSpec, assign
    from segments.conditions import Facts, compile_rule

    rule = compile_rule({"all": PZ_CONDITIONS})
    spec = ExperimentSpec(
        key="hero-test", seed=seed, arms=(ArmSpec("control", 50), ArmSpec("treatment", 50))
    )

    def evaluate(visitor: dict[str, Any]) -> str | None:
        facts = Facts(
            profile=visitor["profile"],
            attributes=visitor["attributes"],
            context=visitor["context"],
        )
        return assign(spec, visitor["id"]) if rule(facts) else None

    return evaluate


def growthbook_features(seed: str) -> dict[str, Any]:
    return {
        "hero": {
            "defaultValue": "default",
            "rules": [
                {
                    "key": "hero-test",
                    "seed": seed,
                    "hashVersion": 2,
                    "hashAttribute": "id",
                    "condition": GB_CONDITION,
                    "variations": ["control", "treatment"],
                    "weights": [0.5, 0.5],
                    "coverage": 1.0,
                }
            ],
        }
    }


def growthbook_cases(seed: str) -> dict[str, Callable[[dict[str, Any]], str | None]]:
    from growthbook import GrowthBook

    features = growthbook_features(seed)

    def fresh(visitor: dict[str, Any]) -> str | None:
        value = GrowthBook(attributes=visitor, features=features).get_feature_value(
            "hero", "default"
        )
        return None if value == "default" else value

    shared = GrowthBook(attributes={}, features=features)

    def reused(visitor: dict[str, Any]) -> str | None:
        shared.set_attributes(visitor)
        value = shared.get_feature_value("hero", "default")
        return None if value == "default" else value

    return {"GrowthBook, new instance": fresh, "GrowthBook, reused instance": reused}


def _growthbook_version() -> str:
    from importlib.metadata import version

    return version("growthbook")


def run_assignment(args: argparse.Namespace) -> list[Result]:
    people = visitors(args.experiments_visitors, args.seed)
    seed = "bench-seed"
    cases: dict[str, Callable[[dict[str, Any]], str | None]] = {"pz": pz_case(seed)}
    skipped = ""
    try:
        cases.update(growthbook_cases(seed))
        version = _growthbook_version()
    except ImportError as exc:
        skipped = f"growthbook not installed ({exc}); pip install growthbook"
        version = ""
    print(
        f"\n[experiments] assignment behind 10 conditions: {len(people):,} visitors x "
        f"{args.experiments_passes} passes"
        + (f", GrowthBook SDK {version}" if version else f"; {skipped}"),
        flush=True,
    )
    # Same visitors enrolled on both sides (arms differ: different hash functions).
    answers = {name: [case(v) for v in people] for name, case in cases.items()}
    enrolled = {name: [a is not None for a in rows] for name, rows in answers.items()}
    for name, flags in enrolled.items():
        if flags != enrolled["pz"]:
            raise AssertionError(f"{name} enrols other visitors than pz")
    share = sum(enrolled["pz"]) / len(people)
    treatment = sum(a == "treatment" for a in answers["pz"]) / max(sum(enrolled["pz"]), 1)
    print(f"  enrolled {share:.1%} on every side; pz treatment share {treatment:.1%}")

    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.experiments_passes):
        for visitor in people:
            for name, case in cases.items():  # interleaved: the same noise for each case
                started = perf_counter_ns()
                case(visitor)
                timings[name].append((perf_counter_ns() - started) / 1000)
    summary = {
        name: (stats.median(values), percentile(values, 99)) for name, values in timings.items()
    }
    for name, (p50, p99) in summary.items():
        print(f"  {name:<28} median {p50:7.2f} µs   p99 {p99:8.2f} µs")

    case = f"10 conditions, {len(people):,} visitors"
    pz50, pz99 = summary["pz"]
    if "GrowthBook, new instance" not in summary:
        return [
            Result(NAME, case, "pz assignment median", pz50, "µs", better="lower", note=skipped),
            Result(NAME, case, "pz assignment p99", pz99, "µs", better="lower", note=skipped),
        ]
    gb50, gb99 = summary["GrowthBook, new instance"]
    reuse50, _ = summary["GrowthBook, reused instance"]
    target = args.experiments_target_speedup
    return [
        Result(
            NAME,
            case,
            "pz assignment median",
            pz50,
            "µs",
            baseline=gb50,
            better="lower",
            note=f"baseline: GrowthBook {version} new instance per visitor",
        ),
        Result(
            NAME,
            case,
            "pz assignment p99",
            pz99,
            "µs",
            baseline=gb99,
            better="lower",
            note="baseline: GrowthBook p99",
        ),
        Result(
            NAME,
            case,
            "pz vs GrowthBook reused",
            pz50,
            "µs",
            baseline=reuse50,
            better="lower",
            note="baseline: one GrowthBook instance, set_attributes per visitor",
        ),
        Result(
            NAME,
            case,
            f"speedup vs target {target:g}x",
            gb50 / pz50,
            "x",
            baseline=target,
            better="higher",
            note="MET" if gb50 / pz50 >= target else "NOT MET",
        ),
    ]


def run_results(args: argparse.Namespace) -> list[Result]:
    if "postgresql" not in args.backends:
        print("\n[experiments] results need PostgreSQL (--backends postgresql); skipped")
        return []
    options = {
        "exposures": args.experiments_exposures,
        "purchases": args.experiments_purchases,
        "repeats": args.repeats,
        "seed": args.seed,
    }
    print(
        f"\n[experiments] results on postgresql: {options['exposures']:,} exposures, "
        f"{options['purchases']:,} purchases",
        flush=True,
    )
    try:
        with scratch_database("postgresql", pg_url=args.pg_url) as database:
            figures = run_worker(
                "bench.experiments:measure_results", database, options, redis_url=args.redis_url
            )
    except BackendUnavailable as exc:
        print(f"[experiments] postgresql: SKIPPED - {exc}", flush=True)
        return []
    for step, seconds in figures["load_s"].items():
        print(f"  load {step:<16} {seconds:6.2f} s")
    print(f"  compute_results runs: {', '.join(f'{s:.2f} s' for s in figures['compute_s'])}")
    print(f"  decision {figures['decision']}, arms {figures['arms']}")
    case = f"{figures['exposures']:,} exposures, {figures['events']:,} purchases"
    seconds = median(figures["compute_s"])
    target = args.experiments_results_target
    return [
        Result(
            NAME,
            case,
            "compute_results",
            seconds,
            "s",
            baseline=median(figures["count_s"]),
            better="lower",
            note="baseline: SELECT count(*) of the exposures",
        ),
        Result(
            NAME,
            case,
            "arm_counts (the SQL)",
            median(figures["arm_counts_s"]),
            "s",
            baseline=seconds,
            better="lower",
            note="baseline: the whole compute_results",
        ),
        Result(
            NAME,
            case,
            "vs target",
            seconds,
            "s",
            baseline=target,
            better="lower",
            note="MET" if seconds < target else "NOT MET",
        ),
        Result(
            NAME,
            case,
            "load (generate + index + analyze)",
            sum(figures["load_s"].values()),
            "s",
            better="lower",
            note="not part of the measurement",
        ),
    ]


def run(args: argparse.Namespace) -> list[Result]:
    parts = {part.strip() for part in args.experiments_parts.split(",") if part.strip()}
    results: list[Result] = []
    if "assignment" in parts:
        results.extend(run_assignment(args))
    if "results" in parts:
        results.extend(run_results(args))
    return results


EXPOSURES_SQL = """
INSERT INTO experiments_exposure (experiment_id, arm, visitor_id, first_exposed_at)
SELECT %(experiment)s,
       CASE WHEN n %% 2 = 0 THEN 'control' ELSE 'treatment' END,
       'x' || n,
       %(now)s - interval '14 days' + random() * interval '4 days'
FROM generate_series(1, %(exposures)s) AS n
"""
# Converters lean to the treatment (55/45) so the analysis has a real lift to find;
# purchases land after every exposure (the last 10 days), revenue 5-200.
EVENTS_SQL = """
INSERT INTO tracking_event
    (visitor_id, session_id, type, timestamp, received_at, properties, context)
SELECT 'x' || (2 * floor(random() * (%(exposures)s / 2))::bigint
               + CASE WHEN random() < 0.55 THEN 1 ELSE 2 END),
       '', 'purchase', ts, ts,
       jsonb_build_object('revenue', round((5 + random() * 195)::numeric, 2)),
       '{}'::jsonb
FROM (
    SELECT %(now)s - random() * interval '10 days' AS ts
    FROM generate_series(1, %(purchases)s)
) AS generated
"""


def measure_results(options: dict[str, Any]) -> dict[str, Any]:
    """In the worker: create the experiment, load the rows, time `compute_results`."""
    from django.db import connection

    from content.tests.factories import component, placement
    from core import clock
    from experiments import services

    if connection.vendor != "postgresql":
        raise RuntimeError("the results benchmark generates its data with PostgreSQL")
    placement(
        "home-hero",
        [
            {"key": "a", "component": component("hero-a"), "is_fallback": True},
            {"key": "b", "component": component("hero-b"), "priority": 10},
        ],
    )
    experiment = services.experiment_start(
        experiment=services.experiment_create(
            key="hero-test",
            name="Hero test",
            placement_key="home-hero",
            arms=[{"key": "control", "variant": "a"}, {"key": "treatment", "variant": "b"}],
        )
    )
    now = clock.now()
    params = {
        "experiment": experiment.pk,
        "exposures": options["exposures"],
        "purchases": options["purchases"],
        "now": now,
    }
    load: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SELECT setseed(%s)", [(options["seed"] % 2_000_000) / 1_000_000 - 1])
        for step, sql in (("exposures", EXPOSURES_SQL), ("purchases", EVENTS_SQL)):
            started = perf_counter()
            cursor.execute(sql, params)
            load[step] = perf_counter() - started
        started = perf_counter()
        cursor.execute("VACUUM (ANALYZE) experiments_exposure")
        cursor.execute("VACUUM (ANALYZE) tracking_event")
        load["vacuum analyze"] = perf_counter() - started
        cursor.execute("RESET synchronous_commit")

    count_s, compute_s, arm_counts_s = [], [], []
    snapshot = None
    for _ in range(options["repeats"]):
        started = perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM experiments_exposure WHERE experiment_id = %s",
                [experiment.pk],
            )
            cursor.fetchone()
        count_s.append(perf_counter() - started)
        started = perf_counter()
        services.arm_counts(experiment)
        arm_counts_s.append(perf_counter() - started)
        started = perf_counter()
        snapshot = services.compute_results(experiment_id=experiment.pk)
        compute_s.append(perf_counter() - started)
    assert snapshot is not None  # noqa: S101 - repeats >= 1
    arms = {arm["key"]: [arm["exposures"], arm["conversions"]] for arm in snapshot.report["arms"]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tracking_event")
        (events,) = cursor.fetchone()
    return {
        "exposures": sum(pair[0] for pair in arms.values()),
        "events": events,
        "load_s": load,
        "count_s": count_s,
        "arm_counts_s": arm_counts_s,
        "compute_s": compute_s,
        "decision": snapshot.decision,
        "arms": arms,
    }
