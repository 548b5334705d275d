"""Running experiments compiled per process (rebuilt when the configuration version
changes), and the request-time arm lookup the decision makes."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from experiments.assignment import ArmSpec, ExperimentSpec, assign, in_holdout
from experiments.models import Experiment
from personalization.config_version import CompiledCatalog


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
    running = (
        Experiment.objects.filter(status=Experiment.Status.RUNNING)
        .select_related("placement", "layer")
        .prefetch_related("arms", "segments")
    )
    for experiment in running:
        arms = list(experiment.arms.all())
        weights = adaptive_weights(experiment) if experiment.adaptive else None
        spec = ExperimentSpec(
            key=experiment.key,
            seed=experiment.seed,
            arms=tuple(ArmSpec(arm.key, (weights or {}).get(arm.key, arm.weight)) for arm in arms),
            traffic=experiment.traffic,
            layer_seed=experiment.layer.seed if experiment.layer else None,
            layer_start=experiment.layer_start or 0,
            layer_end=experiment.layer_end or 0,
        )
        by_placement.setdefault(experiment.placement.key, []).append(
            RunningExperiment(
                id=experiment.pk,
                key=experiment.key,
                placement=experiment.placement.key,
                spec=spec,
                variants={arm.key: arm.variant_key for arm in arms},
                segments=frozenset(s.key for s in experiment.segments.all()),
            )
        )
    return ExperimentCatalog(
        version=version,
        by_placement={key: tuple(rows) for key, rows in by_placement.items()},
    )


def adaptive_weights(experiment: Experiment) -> dict[str, int] | None:
    """Thompson-sampling allocation: each arm's share is its posterior chance of being best
    in the latest results (not for inference: adaptively allocated data is biased)."""
    snapshot = experiment.snapshots.order_by("-computed_at").first()
    if snapshot is None:
        return None
    arms = snapshot.report.get("arms", [])
    best = {
        arm["key"]: arm.get("chance_best") for arm in arms if arm.get("chance_best") is not None
    }
    if not best:
        return None
    return {key: max(1, round(share * 1000)) for key, share in best.items()}


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


def assignment_for(
    catalog: ExperimentCatalog, placement: str, bucketing_id: str, segments: frozenset[str]
) -> Assignment | None:
    """The arm this visitor sees on this placement, if an experiment enrols them."""
    candidates = catalog.by_placement.get(placement)
    if not candidates:
        return None
    if in_holdout(
        bucketing_id,
        global_seed=settings.PZ_EXPERIMENT_HOLDOUT_SEED,
        share=settings.PZ_EXPERIMENT_HOLDOUT_SHARE,
    ):
        return None
    for experiment in candidates:
        if experiment.segments and not experiment.segments & segments:
            continue
        arm = assign(experiment.spec, bucketing_id)
        if arm is not None:
            return Assignment(experiment.id, experiment.key, arm, experiment.variants[arm])
    return None
