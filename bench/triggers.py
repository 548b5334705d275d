"""Trigger matching: ingest with 50 active triggers against ingest with none, per event.

One Django worker per backend on a scratch database (eager Celery, so the
`events_ingested` handler, `handle_events_task` and every decision run inside the timed
`ingest_events` call, as a worker would run them right after). Setup, untimed: 50
enabled triggers over `product_view`, `add_to_cart`, `search`, `purchase` and
`page_view` (half with a wait and a cancel event, conditions of 1-3 leaves mixing
profile fields, event windows with `where` and `$entry.` substitution; actions add to a
static segment, show a pop-up or email; frequency caps), and `bench.traffic` storefront
events within the last 50 minutes (inside the entry lookback).

Per repeat, in turn: **baseline** (every trigger disabled: the signal handler finds no
listening entry type and queues nothing), **none fire** (all 50 enabled with a condition
no visitor meets: every entry event is matched, waits are recorded and checked, nothing
fires) and **triggers** (all 50 enabled as specified: about two firings per event), each
on emptied tables and cache, timing every `ingest_events` batch. Figures: events/s of
each (ratio = the share of ingest throughput kept), and the added cost per event in µs.
"""

import argparse
from datetime import timedelta
from time import perf_counter
from typing import Any

from bench.databases import BackendUnavailable, run_worker, scratch_database
from bench.results import Result, median

TRIGGERS = 50
NEVER = {"field": "profile.orders", "op": "gt", "value": 10**9}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("triggers")
    group.add_argument("--triggers-events", type=int, default=5_000, help="per pass (5000)")
    group.add_argument("--triggers-batch-size", type=int, default=250, help="(250)")
    group.add_argument("--triggers-visitors", type=int, default=1_000, help="(1000)")


def run(args: argparse.Namespace) -> list[Result]:
    options = {
        "events": args.triggers_events,
        "batch_size": args.triggers_batch_size,
        "visitors": args.triggers_visitors,
        "repeats": args.repeats,
        "seed": args.seed,
    }
    results = []
    for backend in args.backends:
        print(
            f"\n[triggers] {backend}: {TRIGGERS} triggers, {options['events']:,} events", flush=True
        )
        try:
            with scratch_database(backend, pg_url=args.pg_url) as database:
                figures = run_worker("bench.triggers:measure", database, options)
        except BackendUnavailable as exc:
            print(f"[triggers] {backend}: SKIPPED - {exc}", flush=True)
            continue
        fired = (
            f"firings {figures['firings']} ({figures['fired']} fired), pending {figures['pending']}"
        )
        never = "matching, waits and checks; conditions that never hold"
        per_event = "baseline: ingest cost per event without triggers"
        base_eps, base_us = figures["baseline_eps"], figures["baseline_us"]
        for label, key, unit, baseline, note in [
            (
                "ingest events/s, 50 triggers, none fire",
                "matching_eps",
                "events/s",
                base_eps,
                never,
            ),
            ("ingest events/s, 50 triggers", "triggers_eps", "events/s", base_eps, fired),
            ("added cost per event", "added_us", "µs", base_us, per_event),
            ("added cost per event, none fire", "matching_added_us", "µs", base_us, per_event),
        ]:
            better = "lower" if unit == "µs" else "higher"
            results.append(
                Result(
                    "triggers",
                    backend,
                    label,
                    figures[key],
                    unit,
                    baseline=baseline,
                    better=better,
                    note=note,
                )
            )
    return results


def trigger_specs() -> list[dict[str, Any]]:
    """50 triggers (pure data)."""
    entries = ["product_view", "add_to_cart", "search", "purchase", "page_view"]
    conditions = [
        {},
        {"field": "profile.cart.items", "op": "gt", "value": 0},
        {
            "events": {
                "type": "product_view",
                "within": "1h",
                "where": {"category": {"eq": "$entry.category"}},
            },
            "op": "gt",
            "value": 2,
        },
        {
            "all": [
                {"field": "profile.orders", "op": "gte", "value": 1},
                {"events": {"type": "search", "within": "30m"}, "op": "gte", "value": 1},
                {"field": "context.device", "op": "in", "value": ["mobile", "tablet"]},
            ]
        },
        {
            "any": [
                {"field": "profile.engagement", "op": "gt", "value": 5},
                {"not": {"field": "profile.known", "op": "eq", "value": True}},
            ]
        },
    ]
    specs = []
    for n in range(TRIGGERS):
        waited = n % 2 == 0
        specs.append(
            {
                "key": f"bench-{n}",
                "name": f"Bench {n}",
                "entry_event": entries[n % len(entries)],
                "wait_seconds": 3600 if waited else 0,
                "cancel_event": "purchase" if waited else "",
                "conditions": conditions[n % len(conditions)],
                "frequency_cap_count": 1 + n % 3,
                "frequency_cap_seconds": 3600 * (1 + n % 24),
                "action": ["email", "onsite", "segment_add", "onsite", "onsite"][n % 5],
            }
        )
    return specs


def measure(options: dict[str, Any]) -> dict[str, Any]:
    import gc

    from django.conf import settings
    from django.core.cache import cache

    from bench.traffic import generate_events
    from core import clock
    from segments.models import Segment, SegmentMembership
    from tracking.models import Event, VisitorAlias, VisitorProfile
    from tracking.services import ingest_events
    from triggers.models import (
        EmailTemplate,
        Firing,
        PendingMessage,
        Trigger,
        TriggerDayCount,
        TriggerVisitorLock,
    )

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PZ_TRIGGERS_ENTRY_LOOKBACK_SECONDS = 2 * 3600
    from content.tests.factories import component

    segment = Segment.objects.create(key="bench-nudged", name="Nudged", kind="static")
    popup = component("bench-popup")
    popup.body = [("popup", {"heading": "Still looking?", "text": "Hi {{ visitor.first_name }}"})]
    popup.save()
    template = EmailTemplate.objects.create(
        key="bench", name="Bench", subject="Hi {{ visitor.first_name }}", body="{{ shop.name }}"
    )
    for spec in trigger_specs():
        action = spec["action"]
        Trigger.objects.create(
            **spec,
            enabled=False,
            segment=segment if action == "segment_add" else None,
            email_template=template if action == "email" else None,
            popup=popup if action == "onsite" else None,
        )
    now = clock.now()
    raw = generate_events(
        seed=options["seed"],
        visitors=options["visitors"],
        events=options["events"],
        now=now - timedelta(minutes=1),
        span=timedelta(minutes=110),  # sessions span the last ~50 minutes
    )
    size = options["batch_size"]
    batches = [raw[i : i + size] for i in range(0, len(raw), size)]

    def reset() -> None:
        for model in (
            PendingMessage,
            Firing,
            TriggerVisitorLock,
            TriggerDayCount,
            SegmentMembership,
            Event,
            VisitorAlias,
            VisitorProfile,
        ):
            model.objects.all().delete()
        cache.clear()

    def one_pass(enabled: bool) -> float:
        reset()
        Trigger.objects.update(enabled=enabled)
        cache.clear()
        gc.collect()
        elapsed = 0.0
        for batch in batches:
            started = perf_counter()
            result = ingest_events(batch)
            elapsed += perf_counter() - started
            assert not result.rejected, result.rejected[:3]
        return elapsed

    def analyze() -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def set_conditions(firing: bool) -> None:
        # Matching only: the same triggers with a condition no visitor meets, so every
        # entry event is matched, waits are recorded and checked, and nothing fires.
        for trigger, spec in zip(Trigger.objects.order_by("key"), specs, strict=True):
            rule = spec["conditions"]
            if not firing:
                rule = {"all": [rule or NEVER, NEVER]}
            # A new updated_at: compiled rules are memoized per trigger edit.
            Trigger.objects.filter(pk=trigger.pk).update(conditions=rule, updated_at=clock.now())

    specs = sorted(trigger_specs(), key=lambda spec: spec["key"])
    one_pass(True)  # warm-up: imports, compiled rules, connections
    analyze()  # table statistics, as autovacuum keeps them on a live database
    base_times, trigger_times, matching_times = [], [], []
    figures: dict[str, Any] = {}
    for _ in range(options["repeats"]):
        base_times.append(one_pass(False))
        set_conditions(firing=False)
        matching_times.append(one_pass(True))
        set_conditions(firing=True)
        trigger_times.append(one_pass(True))
        figures = {
            "firings": Firing.objects.count(),
            "fired": Firing.objects.filter(status="fired").count(),
            "pending": Firing.objects.filter(status="pending").count(),
        }
    events = len(raw)
    base_s, trig_s = median(base_times), median(trigger_times)
    match_s = median(matching_times)
    return {
        "baseline_eps": events / base_s,
        "triggers_eps": events / trig_s,
        "matching_eps": events / match_s,
        "baseline_us": base_s / events * 1e6,
        "added_us": (trig_s - base_s) / events * 1e6,
        "matching_added_us": (match_s - base_s) / events * 1e6,
        **figures,
    }
