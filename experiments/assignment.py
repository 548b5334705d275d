"""Deterministic, sticky experiment assignment: pure functions, no Django, no storage.

A visitor's bucketing id is hashed (`core.bucketing`) with a per-experiment salt. Visitors
in the global holdout (`core.holdout`) are in no experiment at all. Two independent hashes:
- enrolment: `hash(seed, "traffic", id)` < traffic → in the experiment (or, in a layer,
  `hash(layer seed, id)` falls in the experiment's slice of the layer, which makes
  experiments of one layer mutually exclusive);
- arm: `hash(seed, "arm", id)` picks an arm by cumulative weight.
Because enrolment and arm use separate hashes, raising the traffic only adds visitors and
never moves an enrolled one; lowering it only removes visitors. Changing weights would
reshuffle arms, so a visitor's arm is fixed at first exposure (sticky bucketing, read
from the stored exposure): an adaptive experiment's new weights only place visitors who
were never shown it. Fixed-weight experiments cannot change weights while running.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.bucketing import BUCKETS, bucket


@dataclass(frozen=True)
class ArmSpec:
    key: str
    weight: int


@dataclass(frozen=True)
class ExperimentSpec:
    key: str
    seed: str
    arms: tuple[ArmSpec, ...]
    traffic: float = 1.0
    layer_seed: str | None = None
    layer_start: int = 0  # the experiment's slice of its layer: [start, end) in buckets
    layer_end: int = BUCKETS
    allocation: int = 0  # the allocation period the weights belong to (adaptive experiments)

    @property
    def cumulative(self) -> tuple[tuple[int, str], ...]:
        total = sum(arm.weight for arm in self.arms)
        running, bounds = 0, []
        for arm in self.arms:
            running += arm.weight
            bounds.append((running * BUCKETS // total, arm.key))
        return tuple(bounds)


def enrolled(spec: ExperimentSpec, bucketing_id: str) -> bool:
    if spec.layer_seed is not None:
        position = bucket("layer", spec.layer_seed, bucketing_id)
        return spec.layer_start <= position < spec.layer_end
    return bucket(spec.seed, "traffic", bucketing_id) < spec.traffic * BUCKETS


def arm_for(spec: ExperimentSpec, bucketing_id: str) -> str:
    position = bucket(spec.seed, "arm", bucketing_id)
    for upper, key in spec.cumulative:
        if position < upper:
            return key
    return spec.arms[-1].key


def assign(spec: ExperimentSpec, bucketing_id: str, exposed_arm: str | None = None) -> str | None:
    """The visitor's arm, or None when not enrolled: the arm of their first exposure when
    they have one (still an arm of the experiment), else by the current weights."""
    if not enrolled(spec, bucketing_id):
        return None
    if exposed_arm is not None and any(arm.key == exposed_arm for arm in spec.arms):
        return exposed_arm
    return arm_for(spec, bucketing_id)


# Adaptive allocation keeps every arm at this share or more, so each period compares all
# arms, and opens a new period only when some arm's share moves by at least this step.
ADAPTIVE_FLOOR = 0.05
ADAPTIVE_STEP = 0.05
WEIGHT_SCALE = 1000


def thompson_weights(
    chance_best: Mapping[str, float], floor: float = ADAPTIVE_FLOOR
) -> dict[str, int]:
    """Integer weights (summing to about WEIGHT_SCALE) from each arm's chance of being best,
    with every arm kept at `floor` or more."""
    floor = min(floor, 1 / len(chance_best))
    total = sum(chance_best.values())
    spare = 1 - floor * len(chance_best)
    return {
        key: max(
            1,
            round(
                (floor + spare * (share / total if total else 1 / len(chance_best))) * WEIGHT_SCALE
            ),
        )
        for key, share in chance_best.items()
    }


def shares(weights: Mapping[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {key: weight / total for key, weight in weights.items()}


def needs_reallocation(
    current: Mapping[str, float], proposed: Mapping[str, float], step: float = ADAPTIVE_STEP
) -> bool:
    """Whether `proposed` moves some arm's share of new visitors by `step` or more."""
    before, after = shares(current), shares(proposed)
    return any(abs(after[key] - before.get(key, 0.0)) >= step for key in after)


def free_layer_slice(taken: Sequence[tuple[int, int]], width: int) -> tuple[int, int] | None:
    """The first gap of `width` buckets in a layer whose slices `taken` are occupied."""
    cursor = 0
    for start, end in sorted(taken):
        if start - cursor >= width:
            return cursor, cursor + width
        cursor = max(cursor, end)
    return (cursor, cursor + width) if BUCKETS - cursor >= width else None
