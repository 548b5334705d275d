"""Experiment lifecycle, exposure logging and results: the one path for admin, API and tasks."""

import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connections, router, transaction

from content.models import Placement
from core import clock
from core.audit import record_change, snapshot
from core.config_version import bump_config_version
from core.errors import Conflict, Invalid
from core.replicas import replica_alias
from experiments import statistics
from experiments.assignment import (
    BUCKETS,
    free_layer_slice,
    needs_reallocation,
    thompson_weights,
)
from experiments.models import Allocation, Arm, Experiment, Exposure, Layer, ResultSnapshot
from experiments.selectors import (
    EXPOSED_TTL_SECONDS,
    Assignment,
    allocation_history,
    current_weights,
    exposure_cache_key,
)
from experiments.targets import target_promoter, target_variant_keys
from segments.models import Segment
from tracking import analytics
from tracking.event_validation import EVENT_TYPES

# The fields the audit log shows before and after a lifecycle change.
AUDITED_FIELDS = ("status", "traffic", "winner", "started_at", "stopped_at")
# Results older than this are recomputed before a running experiment's are read.
RESULTS_MAX_AGE = timedelta(seconds=60)


def _audit_state(experiment: Experiment) -> dict[str, Any]:
    return {
        **snapshot(experiment, AUDITED_FIELDS),
        "weights": dict(experiment.arms.values_list("key", "weight")),
    }


class ExperimentError(Invalid):
    """An experiment change that is refused as bad input (400); `fields` names the inputs."""


class ExperimentConflict(Conflict, ExperimentError):
    """An experiment change the current state refuses (409): a duplicate key, a started
    or stopped experiment, a full layer."""


def _check_arms(target: str, variant_keys: set[str], arms: list[dict[str, Any]]) -> None:
    if len(arms) < 2:
        raise ExperimentError("An experiment needs at least two arms.", {"arms": "at least 2"})
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
                {f"arms[{index}].variant": f"not a variant of {target}"},
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
    cuped: bool = True,
) -> Experiment:
    """Create a draft experiment. The first arm is the control unless one says otherwise."""
    if Experiment.objects.filter(key=key).exists():
        raise ExperimentConflict("An experiment with this key exists.", {"key": "already exists"})
    # A shared placement, or another target (a page's personalized block) by its key.
    placement = Placement.objects.filter(key=placement_key).first()
    variant_keys = (
        set(placement.variants.values_list("key", flat=True))
        if placement is not None
        else target_variant_keys(placement_key)
    )
    if variant_keys is None:
        raise ExperimentError(
            "Unknown placement.", {"placement": f"no placement {placement_key!r}"}
        )
    _check_arms(placement_key, variant_keys, arms)
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
        target="" if placement is not None else placement_key,
        traffic=traffic,
        layer=layer,
        goal_event=goal["event"],
        goal_placement=goal.get("placement", ""),
        revenue_metric=goal.get("revenue", True),
        owner=owner if getattr(owner, "pk", None) else None,
        minimum_detectable_effect=minimum_detectable_effect,
        adaptive=adaptive,
        cuped=cuped,
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
            raise ExperimentConflict("Already running.", {"status": "running"})
        if experiment.status == Experiment.Status.STOPPED:
            raise ExperimentConflict(
                "A stopped experiment cannot restart; create a new one.",
                {"status": "stopped"},
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
                raise ExperimentConflict(
                    "The layer has no room for this traffic.",
                    {"traffic": "layer full"},
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
            raise ExperimentConflict(
                "Only a running experiment can stop.", {"status": experiment.status}
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
                raise ExperimentConflict(
                    "The layer has no room to grow here.", {"traffic": "layer full"}
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
        raise ExperimentConflict(
            "Weights of a running experiment cannot change (it would reassign visitors).",
            {"weights": "stop and create a new experiment"},
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


def record_exposures(visitor_id: str, assignments: Iterable[Assignment], now: datetime) -> int:
    """Log the first exposure per visitor and experiment, with its arm and allocation
    period, and cache the arm (what `exposed_arms` reads); assignments the visitor was
    already shown are skipped. A concurrent first request of the same visitor loses the
    cache's `add` (or the unique constraint) and writes nothing."""
    fresh = []
    for assignment in assignments:
        if assignment.exposed:
            continue
        marker = exposure_cache_key(assignment.experiment_id, visitor_id)
        if cache.add(marker, assignment.arm, EXPOSED_TTL_SECONDS) is not False:
            fresh.append(
                (assignment.experiment_id, assignment.arm, visitor_id, assignment.allocation)
            )
    if fresh:
        _insert_exposures(fresh, now)
    return len(fresh)


def _insert_exposures(rows: list[tuple[int, str, str, int]], now: datetime) -> None:
    """One statement, no BEGIN/COMMIT around it and no ORM compilation: a first exposure
    is written by the decide request itself (`bulk_create` cost three round trips and
    ~2 ms of a cold decide's CPU). A row the unique constraint refuses is skipped."""
    connection = connections[router.db_for_write(Exposure)]
    at = connection.ops.adapt_datetimefield_value(now)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {Exposure._meta.db_table} "  # noqa: S608 - the model's own table
        f"(experiment_id, arm, visitor_id, first_exposed_at, allocation) VALUES {values} "
        "ON CONFLICT (experiment_id, visitor_id) DO NOTHING"
    )
    params = [
        value for (pk, arm, vid, allocation) in rows for value in (pk, arm, vid, at, allocation)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def harmed_guardrails(report: dict[str, Any], arm_key: str) -> list[str]:
    """The guardrail events this arm harms in a results report."""
    return [
        guardrail["event"]
        for guardrail in report.get("guardrails") or []
        if arm_key in guardrail.get("harmed_arms", [])
    ]


def current_results(
    experiment: Experiment, *, refresh: bool = False, max_age: timedelta = RESULTS_MAX_AGE
) -> ResultSnapshot:
    """The latest results; recomputed first when there are none, or when a running
    experiment's are older than `max_age` (or `refresh` asks for it)."""
    latest = experiment.snapshots.order_by("-computed_at").first()
    running = experiment.status == Experiment.Status.RUNNING
    stale = latest is None or clock.now() - latest.computed_at > max_age
    if latest is None or (running and (stale or refresh)):
        latest = compute_results(experiment_id=experiment.pk)
    return latest


@transaction.atomic
def promote_winner(
    *, experiment: Experiment, arm_key: str, user: Any = None, override_reason: str = ""
) -> Any:
    """Make the winning arm's variant the placement's default (its fallback, shown to
    everyone no other variant targets), publish that, and stop the experiment. An arm
    that harms a guardrail in the current results is refused unless `override_reason`
    says why; the override is logged with the promotion, by `user`. Another target is
    promoted by its registered promoter (`experiments.targets`), or refused (409).
    Returns what now shows the winner (the placement, or e.g. the page)."""
    arm = experiment.arms.filter(key=arm_key).first()
    if arm is None:
        raise ExperimentError("Unknown arm.", {"arm": arm_key})
    harmed = harmed_guardrails(current_results(experiment).report, arm_key)
    override_reason = override_reason.strip()
    if harmed and not override_reason:
        events = ", ".join(harmed)
        raise ExperimentConflict(
            f"Arm {arm_key} harms the guardrail metric {events} (always-valid test); "
            "promoting it needs an override reason.",
            {"override_reason": f"required: arm {arm_key} harms {events}"},
        )
    if experiment.placement_id is None:
        promote = target_promoter(experiment.target)
        if promote is None:
            raise ExperimentConflict(
                "The winner of a page block's experiment is made its default in the page editor.",
                {"arm": "promote it in the page editor"},
            )
        # E.g. a page target: the winning variant's body published as the page's.
        shown_by = promote(experiment.target, arm.variant_key, user)
        _stop_as_promoted(experiment, arm, user, harmed, override_reason, old_default=None)
        return shown_by
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
    _stop_as_promoted(experiment, arm, user, harmed, override_reason, old_default=old_default)
    return placement


def _stop_as_promoted(
    experiment: Experiment,
    arm: Any,
    user: Any,
    harmed: list[str],
    override_reason: str,
    *,
    old_default: str | None,
) -> None:
    """Stop the experiment with `arm` as its winner, audited (with any guardrail override)."""
    before = _audit_state(experiment)
    if experiment.status == Experiment.Status.RUNNING:
        experiment_stop(experiment=experiment, winner=arm.key, user=user)
    else:
        Experiment.objects.filter(pk=experiment.pk).update(winner=arm.key)
    experiment.refresh_from_db()
    after: dict[str, Any] = {**_audit_state(experiment), "placement_default": arm.variant_key}
    if harmed:
        after["guardrail_override"] = {"harmed": harmed, "reason": override_reason}
    record_change(
        instance=experiment,
        action="pz.experiment.promote_override" if harmed else "pz.experiment.promote",
        user=user,
        before={**before, "placement_default": old_default},
        after=after,
    )
    transaction.on_commit(bump_config_version)


@dataclass(frozen=True)
class ExperimentCounts:
    """What the results are computed from, per allocation period and arm: the goal
    counts, and per guardrail event the exposed visitors who had it (as conversions)."""

    periods: dict[int, list[statistics.ArmCounts]]
    guardrails: dict[str, dict[int, list[statistics.ArmCounts]]]

    @staticmethod
    def pooled_over(periods: dict[int, list[statistics.ArmCounts]]) -> list[statistics.ArmCounts]:
        rows = list(zip(*periods.values(), strict=True))
        return [
            statistics.ArmCounts(
                key=cells[0].key,
                exposures=sum(c.exposures for c in cells),
                conversions=sum(c.conversions for c in cells),
                revenue_sum=sum(c.revenue_sum for c in cells),
                revenue_sumsq=sum(c.revenue_sumsq for c in cells),
            )
            for cells in rows
        ]

    def pooled(self) -> list[statistics.ArmCounts]:
        return self.pooled_over(self.periods)


def arm_counts(experiment: Experiment) -> ExperimentCounts:
    """Per allocation period and arm: exposures, converters (a goal event at or after the
    first exposure), revenue per visitor and the visitors with each guardrail event after
    their first exposure, aggregated in one SQL statement (no Python loop over visitors)."""
    guardrails = list(dict.fromkeys(experiment.guardrail_events or []))
    revenue = analytics.json_sql("ev.properties", "revenue", "number")
    goal_test = "ev.type = %s"
    goal_params: list[Any] = [experiment.goal_event]
    if experiment.goal_placement:
        goal_test += f" AND {analytics.json_sql('ev.properties', 'placement')} = %s"
        goal_params.append(experiment.goal_placement)
    flags = "".join(
        f", MAX(CASE WHEN ev.type = %s THEN 1 ELSE 0 END) AS g{index}"
        for index in range(len(guardrails))
    )
    sums = "".join(f", SUM(g{index}) AS g{index}" for index in range(len(guardrails)))
    columns = "".join(f", COALESCE(p.g{index}, 0)" for index in range(len(guardrails)))
    types = ", ".join(["%s", "'purchase'"] + ["%s"] * len(guardrails))
    # Start from the events and join the exposures once: referencing a million-row
    # exposure set several times cost three times as much on PostgreSQL.
    sql = f"""
        WITH hits AS (
            SELECT x.arm, x.allocation, x.visitor_id,
                   MAX(CASE WHEN {goal_test} THEN 1 ELSE 0 END) AS converted,
                   SUM(CASE WHEN ev.type = 'purchase' THEN {revenue} END)
                       AS revenue{flags}
            FROM tracking_event ev
            JOIN experiments_exposure x ON x.experiment_id = %s
             AND x.visitor_id = ev.visitor_id AND ev.timestamp >= x.first_exposed_at
            WHERE ev.type IN ({types})
            GROUP BY x.arm, x.allocation, x.visitor_id
        ),
        per_arm AS (
            SELECT arm, allocation, SUM(converted) AS converters,
                   COALESCE(SUM(revenue), 0) AS revenue,
                   COALESCE(SUM(revenue * revenue), 0) AS revenue_sq{sums}
            FROM hits GROUP BY arm, allocation
        ),
        exposed AS (
            SELECT arm, allocation, COUNT(*) AS n FROM experiments_exposure
            WHERE experiment_id = %s GROUP BY arm, allocation
        )
        SELECT e.arm, e.allocation, e.n, COALESCE(p.converters, 0), COALESCE(p.revenue, 0),
               COALESCE(p.revenue_sq, 0){columns}
        FROM exposed e LEFT JOIN per_arm p ON p.arm = e.arm AND p.allocation = e.allocation
    """  # noqa: S608 - only fixed fragments are interpolated; values are parameters
    params = [
        *goal_params,
        *guardrails,
        experiment.pk,
        experiment.goal_event,
        *guardrails,
        experiment.pk,
    ]
    # The heaviest read of the results: on the replica when there is one.
    with connections[replica_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        rows = {(row[0], int(row[1])): row for row in cursor.fetchall()}
    arms = [arm.key for arm in experiment.arms.all()]
    numbers = sorted({number for _, number in rows} | {0})
    periods: dict[int, list[statistics.ArmCounts]] = {}
    by_guardrail: dict[str, dict[int, list[statistics.ArmCounts]]] = {g: {} for g in guardrails}
    for number in numbers:
        periods[number] = []
        for guardrail in guardrails:
            by_guardrail[guardrail][number] = []
        for key in arms:
            row = rows.get((key, number), (key, number, 0, 0, 0.0, 0.0) + (0,) * len(guardrails))
            exposures = int(row[2])
            periods[number].append(
                statistics.ArmCounts(
                    key=key,
                    exposures=exposures,
                    conversions=int(row[3]),
                    revenue_sum=float(row[4] or 0),
                    revenue_sumsq=float(row[5] or 0),
                )
            )
            for index, guardrail in enumerate(guardrails):
                by_guardrail[guardrail][number].append(
                    statistics.ArmCounts(
                        key=key, exposures=exposures, conversions=int(row[6 + index])
                    )
                )
    return ExperimentCounts(periods=periods, guardrails=by_guardrail)


# Guardrail events whose rise is the harm; for every other event a drop is.
HARMFUL_WHEN_RISING = frozenset({"remove_from_cart"})


def guardrail_harm(event: str) -> statistics.Harm:
    return "increase" if event in HARMFUL_WHEN_RISING else "decrease"


def _periods(
    weights: dict[int, dict[str, int]] | None, counts: dict[int, list[statistics.ArmCounts]]
) -> list[statistics.Period] | None:
    """The allocation periods to stratify by (adaptive experiments only)."""
    if weights is None:
        return None
    return [
        statistics.Period(weights=weights.get(number, {}), counts=cells)
        for number, cells in sorted(counts.items())
    ]


def compute_results(*, experiment_id: int, now: datetime | None = None) -> ResultSnapshot:
    """Aggregate, analyse and store a results snapshot (the report and the decision); an
    adaptive experiment that is running may then open a new allocation period."""
    now = now or clock.now()
    started = time.perf_counter()
    experiment = Experiment.objects.prefetch_related("arms").get(pk=experiment_id)
    arms = list(experiment.arms.all())
    control = next((arm.key for arm in arms if arm.is_control), arms[0].key)
    previous = experiment.snapshots.order_by("-computed_at").first()
    carried = (previous.report.get("always_valid") if previous else None) or {}
    carried_guardrails = (
        previous.report.get("guardrails_always_valid") if previous else None
    ) or {}
    counts = arm_counts(experiment)
    pooled = counts.pooled()
    weights = (
        {row.number: row.weights for row in allocation_history(experiment)}
        if experiment.adaptive
        else None
    )
    periods = _periods(weights, counts.periods)
    analysis = statistics.analyse(
        pooled,
        control=control,
        weights=[arm.weight for arm in arms],
        previous_always_valid=carried,
        minimum_detectable_effect=experiment.minimum_detectable_effect,
        periods=periods,
    )
    guardrails = [
        statistics.analyse_guardrail(
            event,
            ExperimentCounts.pooled_over(by_period),
            control=control,
            harm=guardrail_harm(event),
            periods=_periods(weights, by_period),
            previous_always_valid=carried_guardrails.get(event),
            minimum_detectable_effect=experiment.minimum_detectable_effect,
        )
        for event, by_period in counts.guardrails.items()
    ]
    chance_best = _chance_best(pooled)
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
        "estimator": analysis.estimator,
        "guardrails": [
            {
                "event": result.event,
                "harm": result.harm,
                "harmed_arms": result.harmed_arms,
                "arms": [_finite(asdict(arm)) for arm in result.arms],
            }
            for result in guardrails
        ],
        "guardrails_always_valid": {
            result.event: {
                arm.key: arm.always_valid_p for arm in result.arms if arm.always_valid_p is not None
            }
            for result in guardrails
        },
    }
    if periods is not None:
        report["allocations"] = _allocation_report(experiment, counts.periods)
    if experiment.cuped:
        report["cuped"] = cuped_report(experiment, control)
    snapshot = ResultSnapshot.objects.create(
        experiment=experiment,
        computed_at=now,
        decision=analysis.decision,
        srm=analysis.srm,
        report=report,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )
    if experiment.adaptive and experiment.status == Experiment.Status.RUNNING:
        reallocate(experiment=experiment, chance_best=chance_best, now=now)
    return snapshot


CUPED_PRE_DAYS = 30


def covariate_counts(
    experiment: Experiment,
) -> dict[str, dict[str, statistics.CovariateCounts]]:
    """Per metric ("conversion_rate", "revenue_per_visitor") and arm: the sums CUPED needs
    over exposed visitors, y after their first exposure and x the same measure (orders,
    revenue) in the CUPED_PRE_DAYS before the experiment started up to that exposure.
    One SQL statement; the per-visitor rows never leave the database."""
    since = (experiment.started_at or experiment.created_at) - timedelta(days=CUPED_PRE_DAYS)
    revenue = analytics.json_sql("ev.properties", "revenue", "number")
    goal_test = "ev.type = %s"
    goal_params: list[Any] = [experiment.goal_event]
    if experiment.goal_placement:
        goal_test += f" AND {analytics.json_sql('ev.properties', 'placement')} = %s"
        goal_params.append(experiment.goal_placement)
    after = "ev.timestamp >= x.first_exposed_at"
    before = "ev.timestamp < x.first_exposed_at AND ev.timestamp >= %s"
    sql = f"""
        WITH per_visitor AS (
            SELECT x.arm,
                   MAX(CASE WHEN {after} AND {goal_test} THEN 1 ELSE 0 END) AS y1,
                   COALESCE(SUM(CASE WHEN {after} AND ev.type = 'purchase'
                                THEN {revenue} END), 0) AS y2,
                   COALESCE(SUM(CASE WHEN {before} AND ev.type = 'purchase'
                                THEN 1 ELSE 0 END), 0) AS x1,
                   COALESCE(SUM(CASE WHEN {before} AND ev.type = 'purchase'
                                THEN {revenue} END), 0) AS x2
            FROM experiments_exposure x
            LEFT JOIN tracking_event ev ON ev.visitor_id = x.visitor_id
             AND ev.type IN (%s, 'purchase') AND ev.timestamp >= %s
            WHERE x.experiment_id = %s
            GROUP BY x.arm, x.visitor_id
        )
        SELECT arm, COUNT(*),
               SUM(y1), SUM(y1 * y1), SUM(x1), SUM(x1 * x1), SUM(x1 * y1),
               SUM(y2), SUM(y2 * y2), SUM(x2), SUM(x2 * x2), SUM(x2 * y2)
        FROM per_visitor GROUP BY arm
    """  # noqa: S608 - only fixed fragments are interpolated; values are parameters
    params = [*goal_params, since, since, experiment.goal_event, since, experiment.pk]
    with connections[replica_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict[str, dict[str, statistics.CovariateCounts]] = {
        "conversion_rate": {},
        "revenue_per_visitor": {},
    }
    for arm, n, *sums in rows:
        values = [float(v or 0) for v in sums]
        result["conversion_rate"][arm] = statistics.CovariateCounts(arm, int(n), *values[:5])
        result["revenue_per_visitor"][arm] = statistics.CovariateCounts(arm, int(n), *values[5:])
    return result


def cuped_report(experiment: Experiment, control: str) -> dict[str, Any]:
    """CUPED-adjusted lifts of each arm over the control, per metric, and the variance
    reduction achieved; `applied` is false without pre-period data (then the adjusted
    figures equal the plain ones). Reported beside the decision, which keeps using the
    always-valid test on the unadjusted counts."""
    metrics: dict[str, Any] = {}
    applied = False
    for metric, cells in covariate_counts(experiment).items():
        if control not in cells:
            continue
        adjusted = statistics.cuped(list(cells.values()))
        applied = applied or adjusted.theta != 0
        base = adjusted.estimates[control]
        arms = {}
        for key, estimate in adjusted.estimates.items():
            if key == control:
                continue
            lift, low, high = statistics.lift_interval(base, estimate)
            arms[key] = _finite({"lift": lift, "lift_low": low, "lift_high": high})
        metrics[metric] = {
            "theta": adjusted.theta,
            "variance_reduction": adjusted.variance_reduction,
            "arms": arms,
        }
    return {"applied": applied, "pre_days": CUPED_PRE_DAYS, "metrics": metrics}


def _allocation_report(
    experiment: Experiment, counts: dict[int, list[statistics.ArmCounts]]
) -> list[dict[str, Any]]:
    return [
        {
            "number": row.number,
            "weights": row.weights,
            "started_at": row.started_at.isoformat() if row.started_at else None,
            "exposures": {c.key: c.exposures for c in counts.get(row.number, [])},
        }
        for row in allocation_history(experiment)
    ]


@transaction.atomic
def reallocate(
    *, experiment: Experiment, chance_best: dict[str, float], now: datetime
) -> Allocation | None:
    """Open a new allocation period of an adaptive experiment when Thompson sampling
    moves some arm's share of new visitors by ADAPTIVE_STEP or more. Only visitors who
    were never shown the experiment are placed by the new weights; exposed ones keep
    their arm. Decisions recompile on commit."""
    locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
    number, weights = current_weights(locked)
    proposed = thompson_weights(chance_best)
    if not needs_reallocation(weights, proposed):
        return None
    allocation = Allocation.objects.create(
        experiment=locked, number=number + 1, weights=proposed, started_at=now
    )
    transaction.on_commit(bump_config_version)
    return allocation


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
