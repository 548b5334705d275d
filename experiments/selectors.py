"""Running experiments compiled per process (rebuilt when the configuration version
changes), and the request-time arm lookup the decision makes."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import JSONField, OuterRef, Subquery

from core import cache_reads
from core.config_version import CompiledCatalog
from core.holdout import in_global_holdout
from experiments.assignment import ArmSpec, ExperimentSpec, assign, enrolled
from experiments.models import Allocation, Experiment, Exposure

EXPOSED_PREFIX = "exposed:"
EXPOSED_TTL_SECONDS = 60 * 60 * 24 * 30


@dataclass(frozen=True)
class RunningExperiment:
    id: int
    key: str
    placement: str
    spec: ExperimentSpec
    variants: dict[str, str]  # arm key -> placement variant key
    segments: frozenset[str]


@dataclass
class ExperimentCatalog:
    version: Any
    by_placement: dict[str, tuple[RunningExperiment, ...]]


def _load(version: Any) -> ExperimentCatalog:
    by_placement: dict[str, list[RunningExperiment]] = {}
    latest = Allocation.objects.filter(experiment=OuterRef("pk")).order_by("-number")
    running = (
        Experiment.objects.filter(status=Experiment.Status.RUNNING)
        .select_related("placement", "layer")
        .prefetch_related("arms", "segments")
        .annotate(
            allocation_number=Subquery(latest.values("number")[:1]),
            allocation_weights=Subquery(latest.values("weights")[:1], output_field=JSONField()),
        )
    )
    for experiment in running:
        arms = list(experiment.arms.all())
        weights = (experiment.adaptive and experiment.allocation_weights) or {}
        spec = ExperimentSpec(
            key=experiment.key,
            seed=experiment.seed,
            arms=tuple(ArmSpec(arm.key, weights.get(arm.key, arm.weight)) for arm in arms),
            traffic=experiment.traffic,
            layer_seed=experiment.layer.seed if experiment.layer else None,
            layer_start=experiment.layer_start or 0,
            layer_end=experiment.layer_end or 0,
            allocation=(experiment.adaptive and experiment.allocation_number) or 0,
        )
        by_placement.setdefault(experiment.target_key, []).append(
            RunningExperiment(
                id=experiment.pk,
                key=experiment.key,
                placement=experiment.target_key,
                spec=spec,
                variants={arm.key: arm.variant_key for arm in arms},
                segments=frozenset(s.key for s in experiment.segments.all()),
            )
        )
    return ExperimentCatalog(
        version=version,
        by_placement={key: tuple(rows) for key, rows in by_placement.items()},
    )


def current_weights(experiment: Experiment) -> tuple[int, dict[str, int]]:
    """The allocation period new visitors are placed by, and its weights: the latest
    re-weighting of an adaptive experiment, else the arms' configured weights (period 0)."""
    latest = experiment.allocations.order_by("-number").first() if experiment.adaptive else None
    if latest is not None:
        return latest.number, dict(latest.weights)
    return 0, dict(experiment.arms.values_list("key", "weight"))


def allocation_history(experiment: Experiment) -> list[Allocation]:
    """Every allocation period with its weights, period 0 (the configured weights, from
    the start) first; unsaved rows stand for period 0."""
    configured = Allocation(
        experiment=experiment,
        number=0,
        weights=dict(experiment.arms.values_list("key", "weight")),
        started_at=experiment.started_at or experiment.created_at,
    )
    return [configured, *experiment.allocations.order_by("number")]


_catalog = CompiledCatalog("experiments", _load)


def experiment_catalog(version: Any) -> ExperimentCatalog:
    """Running experiments by placement, compiled once per config version."""
    return _catalog.get(version)


@dataclass(frozen=True)
class Assignment:
    experiment_id: int
    key: str
    arm: str
    variant: str
    allocation: int = 0  # the period the arm was drawn in (recorded at first exposure)
    exposed: bool = False  # shown before: nothing to record


def enrolment_for(
    catalog: ExperimentCatalog, placement: str, bucketing_id: str, segments: frozenset[str]
) -> RunningExperiment | None:
    """The experiment that enrols this visitor on this placement, if any."""
    candidates = catalog.by_placement.get(placement)
    if not candidates:
        return None
    if in_global_holdout(bucketing_id):
        return None  # the global holdout wins over every experiment
    for experiment in candidates:
        if experiment.segments and not experiment.segments & segments:
            continue
        if enrolled(experiment.spec, bucketing_id):
            return experiment
    return None


def exposure_cache_key(experiment_id: int, visitor_id: str) -> str:
    return f"{EXPOSED_PREFIX}{experiment_id}:{visitor_id}"


def exposed_arms(visitor_id: str, experiment_ids: Iterable[int]) -> dict[int, str]:
    """The arm of this visitor's first exposure, by experiment. The cache holds it per
    visitor and experiment (filled at first exposure); the exposure rows are the truth on
    a miss (evicted, cleared, or the cache down), read in one query and cached again."""
    keys = {exposure_cache_key(pk, visitor_id): pk for pk in experiment_ids}
    if not keys:
        return {}
    arms = {keys[key]: arm for key, arm in cache_reads.get_many(list(keys)).items()}
    missing = [pk for pk in keys.values() if pk not in arms]
    if missing:
        stored = dict(
            Exposure.objects.filter(visitor_id=visitor_id, experiment_id__in=missing).values_list(
                "experiment_id", "arm"
            )
        )
        if stored:
            cache.set_many(
                {exposure_cache_key(pk, visitor_id): arm for pk, arm in stored.items()},
                EXPOSED_TTL_SECONDS,
            )
        arms.update(stored)
    return arms


def arm_for_visitor(
    experiment: RunningExperiment, bucketing_id: str, exposed: Mapping[int, str]
) -> Assignment | None:
    """The arm an enrolled visitor sees: the one of their first exposure, else one drawn
    by the current weights (to be recorded as their exposure)."""
    first = exposed.get(experiment.id)
    arm = assign(experiment.spec, bucketing_id, first)
    if arm is None:
        return None
    return Assignment(
        experiment.id,
        experiment.key,
        arm,
        experiment.variants[arm],
        allocation=experiment.spec.allocation,
        exposed=arm == first,
    )


def assignments_for(
    catalog: ExperimentCatalog,
    placements: Sequence[str],
    *,
    bucketing_id: str,
    visitor_id: str,
    segments: frozenset[str],
) -> dict[str, Assignment]:
    """The arms this visitor sees on these placements, by placement: experiments enrol by
    hash, arms stick to the visitor's exposures (one cache read for all of them)."""
    enrolments = {
        key: experiment
        for key in placements
        if (experiment := enrolment_for(catalog, key, bucketing_id, segments)) is not None
    }
    if not enrolments:
        return {}
    exposed = exposed_arms(visitor_id, {e.id for e in enrolments.values()})
    assignments = {
        key: arm_for_visitor(experiment, bucketing_id, exposed)
        for key, experiment in enrolments.items()
    }
    return {key: assignment for key, assignment in assignments.items() if assignment}


def _exposure_keys(visitor_id: str | None) -> list[str]:
    # The experiments of the last compiled catalog: a hint, a changed catalog only misses.
    catalog = _catalog.latest()
    if not visitor_id or catalog is None:
        return []
    ids = {e.id for running in catalog.by_placement.values() for e in running}
    return [exposure_cache_key(pk, visitor_id) for pk in sorted(ids)]


cache_reads.read_ahead_for(_exposure_keys)
