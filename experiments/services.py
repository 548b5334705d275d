"""Experiment lifecycle, exposure logging and results: the one path for admin, API and tasks."""

import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

from content.models import Placement
from core import clock
from experiments import statistics
from experiments.assignment import BUCKETS, free_layer_slice
from experiments.models import Arm, Experiment, Exposure, Layer, ResultSnapshot
from personalization.audit import record_change, snapshot
from personalization.config_version import bump_config_version
from segments.models import Segment
from tracking.event_validation import EVENT_TYPES

# The fields the audit log shows before and after a lifecycle change.
AUDITED_FIELDS = ("status", "traffic", "winner", "started_at", "stopped_at")


def _audit_state(experiment: Experiment) -> dict[str, Any]:
    return {
        **snapshot(experiment, AUDITED_FIELDS),
        "weights": dict(experiment.arms.values_list("key", "weight")),
    }


class ExperimentError(ValueError):
    """An experiment change that is refused; `fields` names the inputs, `conflict` marks
    state conflicts (409) as opposed to bad input (400)."""

    def __init__(self, message: str, fields: dict[str, Any], *, conflict: bool = False):
        super().__init__(message)
        self.fields = fields
        self.conflict = conflict


def _check_arms(placement: Placement, arms: list[dict[str, Any]]) -> None:
    if len(arms) < 2:
        raise ExperimentError("An experiment needs at least two arms.", {"arms": "at least 2"})
    variant_keys = set(placement.variants.values_list("key", flat=True))
    seen = set()
    for index, arm in enumerate(arms):
        key = arm.get("key")
        if not key or key in seen:
            raise ExperimentError(
                "Arm keys must be unique.", {f"arms[{index}].key": "duplicate or empty"}
            )
        seen.add(key)
        if arm.get("variant") not in variant_keys:
            raise ExperimentError(
                "Each arm must show a variant of the placement.",
                {f"arms[{index}].variant": f"not a variant of {placement.key}"},
            )
        weight = arm.get("weight", 50)
        if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
            raise ExperimentError(
                "Weights are positive integers.", {f"arms[{index}].weight": "must be > 0"}
            )


@transaction.atomic
def experiment_create(
    *,
    key: str,
    name: str,
    placement_key: str,
    arms: list[dict[str, Any]],
    traffic: float = 1.0,
    segment_keys: Iterable[str] = (),
    goal: dict[str, Any] | None = None,
    layer_key: str | None = None,
    owner: Any = None,
    hypothesis: str = "",
    minimum_detectable_effect: float = 0.1,
    adaptive: bool = False,
    guardrail_events: list[str] | None = None,
) -> Experiment:
    """Create a draft experiment. The first arm is the control unless one says otherwise."""
    if Experiment.objects.filter(key=key).exists():
        raise ExperimentError(
            "An experiment with this key exists.", {"key": "already exists"}, conflict=True
        )
    placement = Placement.objects.filter(key=placement_key).first()
    if placement is None:
        raise ExperimentError(
            "Unknown placement.", {"placement": f"no placement {placement_key!r}"}
        )
    _check_arms(placement, arms)
    if not 0 < traffic <= 1:
        raise ExperimentError(
            "Traffic is a share between 0 and 1.", {"traffic": "must be in (0, 1]"}
        )
    goal = goal or {"event": "purchase"}
    if goal.get("event") not in EVENT_TYPES:
        raise ExperimentError(
            "Unknown goal event.", {"goal.event": f"one of {sorted(EVENT_TYPES)}"}
        )
    segments = list(Segment.objects.filter(key__in=list(segment_keys)))
    missing = set(segment_keys) - {s.key for s in segments}
    if missing:
        raise ExperimentError("Unknown segments.", {"segments": f"unknown: {sorted(missing)}"})
    layer = None
    if layer_key:
        layer, _ = Layer.objects.get_or_create(
            key=layer_key, defaults={"name": layer_key, "seed": secrets.token_hex(8)}
        )
    for event in guardrail_events or []:
        if event not in EVENT_TYPES:
            raise ExperimentError("Unknown guardrail event.", {"guardrail_events": event})
    experiment = Experiment.objects.create(
        key=key,
        name=name,
        hypothesis=hypothesis,
        placement=placement,
        traffic=traffic,
        layer=layer,
        goal_event=goal["event"],
        goal_placement=goal.get("placement", ""),
        revenue_metric=goal.get("revenue", True),
        owner=owner if getattr(owner, "pk", None) else None,
        minimum_detectable_effect=minimum_detectable_effect,
        adaptive=adaptive,
        guardrail_events=guardrail_events or [],
    )
    experiment.segments.set(segments)
    has_control = any(arm.get("control") for arm in arms)
    for index, arm in enumerate(arms):
        Arm.objects.create(
            experiment=experiment,
            key=arm["key"],
            variant_key=arm["variant"],
            weight=arm.get("weight", 50),
            is_control=bool(arm.get("control")) if has_control else index == 0,
        )
    record_change(
        instance=experiment,
        action="wagtail.create",
        user=owner,
        after={
            **snapshot(experiment, ("key", "name", "placement", "layer", "goal_event")),
            **_audit_state(experiment),
            "arms": {arm["key"]: arm["variant"] for arm in arms},
            "segments": sorted(s.key for s in segments),
        },
    )
    return experiment


@contextmanager
def _lifecycle_change(experiment: Experiment, *, action: str, user: Any) -> Iterator[Experiment]:
    """Lock the experiment, let the caller change it, then save, audit before/after and
    recompile decisions on commit: the one shape of every lifecycle change."""
    locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
    before = _audit_state(locked)
    yield locked
    locked.save()
    record_change(
        instance=locked, action=action, user=user, before=before, after=_audit_state(locked)
    )
    transaction.on_commit(bump_config_version)


@transaction.atomic
def experiment_start(*, experiment: Experiment, user: Any = None) -> Experiment:
    """Start a draft: claim a slice of its layer and fix the seed; audited as by `user`."""
    with _lifecycle_change(experiment, action="pz.experiment.start", user=user) as experiment:
        if experiment.status == Experiment.Status.RUNNING:
            raise ExperimentError("Already running.", {"status": "running"}, conflict=True)
        if experiment.status == Experiment.Status.STOPPED:
            raise ExperimentError(
                "A stopped experiment cannot restart; create a new one.",
                {"status": "stopped"},
                conflict=True,
            )
        if experiment.layer_id:
            taken = [
                (other.layer_start, other.layer_end)
                for other in Experiment.objects.filter(
                    layer_id=experiment.layer_id, status=Experiment.Status.RUNNING
                )
            ]
            space = free_layer_slice(taken, round(experiment.traffic * BUCKETS))
            if space is None:
                raise ExperimentError(
                    "The layer has no room for this traffic.",
                    {"traffic": "layer full"},
                    conflict=True,
                )
            experiment.layer_start, experiment.layer_end = space
        experiment.seed = experiment.seed or secrets.token_hex(8)
        experiment.status = Experiment.Status.RUNNING
        experiment.started_at = clock.now()
    return experiment


@transaction.atomic
def experiment_stop(*, experiment: Experiment, winner: str = "", user: Any = None) -> Experiment:
    """Stop a running experiment (for good); audited as by `user`."""
    with _lifecycle_change(experiment, action="pz.experiment.stop", user=user) as experiment:
        if experiment.status != Experiment.Status.RUNNING:
            raise ExperimentError(
                "Only a running experiment can stop.", {"status": experiment.status}, conflict=True
            )
        experiment.status = Experiment.Status.STOPPED
        experiment.stopped_at = clock.now()
        experiment.winner = winner or experiment.winner
    return experiment


@transaction.atomic
def experiment_set_traffic(
    *, experiment: Experiment, traffic: float, user: Any = None
) -> Experiment:
    """Change the traffic share: enrolled visitors keep their arm (enrolment and arm use
    separate hashes), so raising only adds visitors and lowering only removes some."""
    if not 0 < traffic <= 1:
        raise ExperimentError(
            "Traffic is a share between 0 and 1.", {"traffic": "must be in (0, 1]"}
        )
    with _lifecycle_change(experiment, action="pz.experiment.traffic", user=user) as experiment:
        if experiment.layer_id and experiment.status == Experiment.Status.RUNNING:
            width = round(traffic * BUCKETS)
            start = experiment.layer_start or 0
            others = Experiment.objects.filter(
                layer_id=experiment.layer_id, status=Experiment.Status.RUNNING
            ).exclude(pk=experiment.pk)
            if (
                any(o.layer_start < start + width and start < o.layer_end for o in others)
                or start + width > BUCKETS
            ):
                raise ExperimentError(
                    "The layer has no room to grow here.", {"traffic": "layer full"}, conflict=True
                )
            experiment.layer_end = start + width
        experiment.traffic = traffic
    return experiment


@transaction.atomic
def experiment_set_weights(
    *, experiment: Experiment, weights: dict[str, int], user: Any = None
) -> None:
    """Refused while running: new weights would move enrolled visitors to other arms and
    mix two allocations in one analysis. Stop it and start a new experiment instead."""
    if experiment.status == Experiment.Status.RUNNING:
        raise ExperimentError(
            "Weights of a running experiment cannot change (it would reassign visitors).",
            {"weights": "stop and create a new experiment"},
            conflict=True,
        )
    before = _audit_state(experiment)
    for arm in experiment.arms.all():
        if arm.key in weights:
            if weights[arm.key] <= 0:
                raise ExperimentError(
                    "Weights are positive integers.", {f"weights.{arm.key}": "must be > 0"}
                )
            arm.weight = weights[arm.key]
            arm.save(update_fields=["weight"])
    record_change(
        instance=experiment,
        action="pz.experiment.weights",
        user=user,
        before=before,
        after=_audit_state(experiment),
    )


def record_exposures(visitor_id: str, assignments: Iterable[tuple[int, str]], now: datetime) -> int:
    """Log the first exposure per visitor and experiment; repeats cost one cache check."""
    fresh = []
    for experiment_id, arm in assignments:
        marker = f"exposed:{experiment_id}:{visitor_id}"
        if cache.add(marker, arm, 60 * 60 * 24 * 30) is not False:
            fresh.append(
                Exposure(
                    experiment_id=experiment_id,
                    arm=arm,
                    visitor_id=visitor_id,
                    first_exposed_at=now,
                )
            )
    if fresh:
        Exposure.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


@transaction.atomic
def promote_winner(*, experiment: Experiment, arm_key: str, user: Any = None) -> Placement:
    """Make the winning arm's variant the placement's default (its fallback, shown to
    everyone no other variant targets), publish that, and stop the experiment."""
    arm = experiment.arms.filter(key=arm_key).first()
    if arm is None:
        raise ExperimentError("Unknown arm.", {"arm": arm_key})
    placement = Placement.objects.select_for_update().get(pk=experiment.placement_id)
    losing = set(experiment.arms.exclude(key=arm_key).values_list("variant_key", flat=True))
    now = clock.now()
    old_default = placement.variants.filter(is_fallback=True).values_list("key", flat=True).first()
    for variant in placement.variants.all():
        was_default = variant.is_fallback
        variant.is_fallback = variant.key == arm.variant_key
        if variant.key != arm.variant_key and (variant.key in losing or was_default):
            variant.ends_at = now  # kept for history, no longer shown
        variant.save(update_fields=["is_fallback", "ends_at"])
    editor = user if getattr(user, "pk", None) else None
    # Publishing logs "wagtail.publish" on the placement, by the same user.
    placement.save_revision(user=editor).publish(user=editor)
    before = _audit_state(experiment)
    if experiment.status == Experiment.Status.RUNNING:
        experiment_stop(experiment=experiment, winner=arm_key, user=user)
    else:
        Experiment.objects.filter(pk=experiment.pk).update(winner=arm_key)
    experiment.refresh_from_db()
    record_change(
        instance=experiment,
        action="pz.experiment.promote",
        user=user,
        before={**before, "placement_default": old_default},
        after={**_audit_state(experiment), "placement_default": arm.variant_key},
    )
    transaction.on_commit(bump_config_version)
    return placement


def _revenue_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return (
            f"CASE WHEN jsonb_typeof({column}->'revenue') = 'number' "
            f"THEN ({column}->>'revenue')::double precision END"
        )
    return (
        f"CASE WHEN json_type({column}, '$.revenue') IN ('integer', 'real') "
        f"THEN json_extract({column}, '$.revenue') END"
    )


def _placement_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column}->>'placement')"
    return f"json_extract({column}, '$.placement')"


def arm_counts(experiment: Experiment) -> list[statistics.ArmCounts]:
    """Per-arm exposures, converters (a goal event at or after the first exposure) and
    revenue per visitor, aggregated in SQL (no Python loop over visitors)."""
    goal_test = "ev.type = %s"
    goal_params: list[Any] = [experiment.goal_event]
    if experiment.goal_placement:
        goal_test += f" AND {_placement_sql('ev.properties')} = %s"
        goal_params.append(experiment.goal_placement)
    # Start from the events and join the exposures once: referencing a million-row
    # exposure set several times cost three times as much on PostgreSQL.
    sql = f"""
        WITH hits AS (
            SELECT x.arm, x.visitor_id,
                   MAX(CASE WHEN {goal_test} THEN 1 ELSE 0 END) AS converted,
                   SUM(CASE WHEN ev.type = 'purchase' THEN {_revenue_sql("ev.properties")} END)
                       AS revenue
            FROM tracking_event ev
            JOIN experiments_exposure x ON x.experiment_id = %s
             AND x.visitor_id = ev.visitor_id AND ev.timestamp >= x.first_exposed_at
            WHERE ev.type IN (%s, 'purchase')
            GROUP BY x.arm, x.visitor_id
        ),
        per_arm AS (
            SELECT arm, SUM(converted) AS converters, COALESCE(SUM(revenue), 0) AS revenue,
                   COALESCE(SUM(revenue * revenue), 0) AS revenue_sq
            FROM hits GROUP BY arm
        ),
        exposed AS (
            SELECT arm, COUNT(*) AS n FROM experiments_exposure
            WHERE experiment_id = %s GROUP BY arm
        )
        SELECT e.arm, e.n, COALESCE(p.converters, 0), COALESCE(p.revenue, 0),
               COALESCE(p.revenue_sq, 0)
        FROM exposed e LEFT JOIN per_arm p ON p.arm = e.arm
    """  # noqa: S608 - only fixed fragments are interpolated; values are parameters
    params = [*goal_params, experiment.pk, experiment.goal_event, experiment.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = {row[0]: row for row in cursor.fetchall()}
    counts = []
    for arm in experiment.arms.all():
        row = rows.get(arm.key, (arm.key, 0, 0, 0.0, 0.0))
        counts.append(
            statistics.ArmCounts(
                key=arm.key,
                exposures=int(row[1]),
                conversions=int(row[2]),
                revenue_sum=float(row[3] or 0),
                revenue_sumsq=float(row[4] or 0),
            )
        )
    return counts


def compute_results(*, experiment_id: int, now: datetime | None = None) -> ResultSnapshot:
    """Aggregate, analyse and store a results snapshot (the report and the decision)."""
    now = now or clock.now()
    started = time.perf_counter()
    experiment = Experiment.objects.prefetch_related("arms").get(pk=experiment_id)
    arms = list(experiment.arms.all())
    control = next((arm.key for arm in arms if arm.is_control), arms[0].key)
    previous = experiment.snapshots.order_by("-computed_at").first()
    carried = (previous.report.get("always_valid") if previous else None) or {}
    counts = arm_counts(experiment)
    analysis = statistics.analyse(
        counts,
        control=control,
        weights=[arm.weight for arm in arms],
        previous_always_valid=carried,
        minimum_detectable_effect=experiment.minimum_detectable_effect,
    )
    chance_best = _chance_best(counts)
    report = {
        "experiment": experiment.key,
        "control": control,
        "computed_at": now.isoformat(),
        "decision": analysis.decision,
        "srm": {"flag": analysis.srm, "chi2": analysis.srm_chi2, "p_value": analysis.srm_p_value},
        "sample_size_per_arm": analysis.sample_size_per_arm,
        "notes": analysis.notes,
        "arms": [
            {**_finite(asdict(arm)), "chance_best": chance_best.get(arm.key)}
            for arm in analysis.arms
        ],
        "always_valid": {
            arm.key: arm.always_valid_p for arm in analysis.arms if arm.always_valid_p is not None
        },
        "adaptive": experiment.adaptive,
    }
    return ResultSnapshot.objects.create(
        experiment=experiment,
        computed_at=now,
        decision=analysis.decision,
        srm=analysis.srm,
        report=report,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


def _chance_best(counts: list[statistics.ArmCounts], draws: int = 20_000) -> dict[str, float]:
    import numpy as np

    rng = np.random.default_rng(0)
    samples = np.array(
        [rng.beta(1 + c.conversions, 1 + c.exposures - c.conversions, draws) for c in counts]
    )
    best = np.bincount(samples.argmax(axis=0), minlength=len(counts)) / draws
    return {c.key: float(share) for c, share in zip(counts, best, strict=True)}


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """JSON has no infinities: unbounded interval ends become None."""
    import math

    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()
    }
