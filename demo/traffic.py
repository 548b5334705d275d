"""Simulated storefront traffic for the demo, so the personalization reports have
something to show right after `load_demo`: visitors over the last days (page views,
impressions, clicks, carts, purchases) with a known effect of personalization (the global
holdout converts less), a running hero experiment whose Christmas arm converts better,
and the cart-abandonment trigger's contacted and control firings. Then the reports'
aggregates are computed once (segment KPIs, experiment results, variant stats); the
periodic tasks keep them current afterwards.

Seeded, so a re-run replays the same visitors (events carry ids: nothing is stored twice).
"""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from content.metrics import refresh_variant_stats
from core import clock
from core.holdout import in_global_holdout
from experiments.models import Experiment, Exposure
from experiments.services import compute_results, experiment_create, experiment_start
from insights.kpis import refresh_segment_kpis
from tracking.services import ingest_events
from triggers.models import Firing, Trigger
from triggers.services.decisions import in_control_group

EXPERIMENT_KEY = "hero-christmas-test"
TRIGGER_KEY = "cart-abandonment"
NAMESPACE = uuid.UUID("6f1c1b0e-9a57-4c38-9a62-5d7f6c0f2a11")
# Conversion per visit: the holdout's, and the lifts personalization, the experiment's
# Christmas arm and the cart reminder add (the effects the reports should find).
BASE_RATE = 0.08
PERSONALIZATION_LIFT = 0.25
CHRISTMAS_LIFT = 0.15
REMINDER_RATES = (0.10, 0.20)  # control, contacted: purchase within the window


@dataclass
class TrafficReport:
    visitors: int = 0
    held_out: int = 0
    purchases: int = 0
    events: int = 0
    exposures: int = 0
    firings: int = 0


def _event_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def _experiment() -> Experiment:
    experiment = Experiment.objects.filter(key=EXPERIMENT_KEY).first()
    if experiment is None:
        experiment = experiment_create(
            key=EXPERIMENT_KEY,
            name="Christmas hero vs welcome hero",
            placement_key="home-hero",
            arms=[
                {"key": "welcome", "variant": "default"},
                {"key": "christmas", "variant": "christmas"},
            ],
            hypothesis="A Christmas hero in December sells more than the welcome hero.",
        )
    if experiment.status == Experiment.Status.DRAFT:
        experiment = experiment_start(experiment=experiment)
    return experiment


def replay_demo_traffic(
    *, days: int = 30, visitors_per_day: int = 200, seed: int = 17, now: datetime | None = None
) -> TrafficReport:
    now = now or clock.now()
    rng = random.Random(seed)  # noqa: S311 - simulation, not security
    report = TrafficReport()
    experiment = _experiment()
    trigger = Trigger.objects.filter(key=TRIGGER_KEY).first()
    arms = ("welcome", "christmas")
    events: list[object] = []
    exposures: list[Exposure] = []
    firings: list[Firing] = []
    start = (now - timedelta(days=days)).astimezone(UTC)
    for day in range(days):
        for number in range(visitors_per_day):
            visitor = f"demo-visitor-{day}-{number}"
            at = start + timedelta(days=day, seconds=rng.randint(0, 86_000))
            if at >= now - timedelta(minutes=5):
                continue
            held = in_global_holdout(visitor)
            report.visitors += 1
            report.held_out += held
            rate = BASE_RATE if held else BASE_RATE * (1 + PERSONALIZATION_LIFT)
            variant = "default"
            if not held:
                arm = arms[rng.random() < 0.5]
                exposures.append(
                    Exposure(
                        experiment=experiment,
                        arm=arm,
                        visitor_id=visitor,
                        first_exposed_at=at,
                        allocation=0,
                    )
                )
                variant = "christmas" if arm == "christmas" else "default"
                if arm == "christmas":
                    rate *= 1 + CHRISTMAS_LIFT
            placement = {"placement": "home-hero", "variant": variant}
            visit: list[tuple[str, datetime, dict[str, Any]]] = [
                ("page_view", at, {}),
                ("impression", at + timedelta(seconds=1), placement),
            ]
            if rng.random() < (0.06 if variant == "christmas" else 0.04):
                visit.append(("click", at + timedelta(seconds=20), placement))
            if rng.random() < rate:
                revenue = round(rng.lognormvariate(3.6, 0.6), 2)
                visit.append(
                    (
                        "purchase",
                        at + timedelta(minutes=5),
                        {"order_id": f"d-{visitor}", "revenue": revenue},
                    )
                )
                report.purchases += 1
            elif trigger is not None and not held and rng.random() < 0.3:
                # Left a cart: the reminder fires (or the visitor is in its control group).
                cart_at = at + timedelta(minutes=3)
                visit.append(("add_to_cart", cart_at, {"product_id": "demo", "price": 10.0}))
                control = in_control_group(trigger, visitor)
                decided = cart_at + timedelta(hours=1)
                if decided < now:
                    firings.append(
                        Firing(
                            trigger=trigger,
                            visitor_id=visitor,
                            occurrence_key=f"demo-{visitor}",
                            status=Firing.Status.CONTROL if control else Firing.Status.FIRED,
                            entry_at=cart_at,
                            due_at=decided,
                            decided_at=decided,
                            delivered_at=None if control else decided,
                        )
                    )
                    if rng.random() < REMINDER_RATES[0 if control else 1]:
                        bought = decided + timedelta(hours=rng.randint(1, 100))
                        if bought < now:
                            revenue = round(rng.lognormvariate(3.6, 0.6), 2)
                            visit.append(
                                (
                                    "purchase",
                                    bought,
                                    {"order_id": f"r-{visitor}", "revenue": revenue},
                                )
                            )
                            report.purchases += 1
            events += [
                {
                    "type": kind,
                    "visitor_id": visitor,
                    "event_id": _event_id(visitor, kind, index),
                    "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "properties": properties,
                }
                for index, (kind, when, properties) in enumerate(visit)
            ]
    for index in range(0, len(events), 1000):
        result = ingest_events(events[index : index + 1000])
        report.events += result.accepted - result.duplicates
    Exposure.objects.bulk_create(exposures, ignore_conflicts=True)
    Firing.objects.bulk_create(firings, ignore_conflicts=True)
    report.exposures, report.firings = len(exposures), len(firings)
    refresh_segment_kpis(days=days, now=now)
    refresh_variant_stats(now=now)
    compute_results(experiment_id=experiment.pk, now=now)
    return report
