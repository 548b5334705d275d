"""Why a placement shows the variant it shows: a value object the decision passes around
(kind plus the segment or experiment keys), turned into the API's reason strings
(`segment:<key>`, `experiment:<key>`, ... in ../shared/API.md) only at the edge, so no
code ever splits a label to learn which segment or experiment chose a variant."""

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class ReasonKind(StrEnum):
    FALLBACK = "fallback"
    DEFAULT = "default"
    CONTEXT = "context"
    SEGMENT = "segment"  # one of the variant's "any of" segments matched
    SEGMENTS = "segments"  # all of the variant's "all of" segments matched
    EXPERIMENT = "experiment"
    TRIGGER = "trigger"
    HOLDOUT = "holdout"  # the visitor is in the global holdout (core.holdout): the fallback


@dataclass(frozen=True)
class DecisionReason:
    kind: ReasonKind
    segments: tuple[str, ...] = ()  # the segments that chose the variant, in label order
    experiment: str | None = None

    def __post_init__(self) -> None:
        by_segments = self.kind in (ReasonKind.SEGMENT, ReasonKind.SEGMENTS)
        if by_segments != bool(self.segments) or (self.kind == ReasonKind.SEGMENT) != (
            len(self.segments) == 1
        ):
            raise ValueError(f"a {self.kind} reason has the wrong segments: {self.segments}")
        if (self.kind == ReasonKind.EXPERIMENT) != bool(self.experiment):
            raise ValueError(f"a {self.kind} reason has the wrong experiment: {self.experiment}")

    # Reasons are immutable values from a small set (the segments and experiments of
    # the catalog): decisions reuse one instance per key instead of building one each.
    @staticmethod
    @lru_cache(maxsize=4096)
    def segment(key: str) -> "DecisionReason":
        return DecisionReason(ReasonKind.SEGMENT, segments=(key,))

    @staticmethod
    @lru_cache(maxsize=4096)
    def all_segments(keys: frozenset[str]) -> "DecisionReason":
        return DecisionReason(ReasonKind.SEGMENTS, segments=tuple(sorted(keys)))

    @staticmethod
    @lru_cache(maxsize=4096)
    def experiment_arm(key: str) -> "DecisionReason":
        return DecisionReason(ReasonKind.EXPERIMENT, experiment=key)

    @property
    def label(self) -> str:
        """The API's reason string."""
        if self.kind == ReasonKind.SEGMENT:
            return f"segment:{self.segments[0]}"
        if self.kind == ReasonKind.SEGMENTS:
            return "segments:" + "+".join(self.segments)
        if self.kind == ReasonKind.EXPERIMENT:
            return f"experiment:{self.experiment}"
        return self.kind.value

    def __str__(self) -> str:
        return self.label


FALLBACK = DecisionReason(ReasonKind.FALLBACK)
DEFAULT = DecisionReason(ReasonKind.DEFAULT)
CONTEXT = DecisionReason(ReasonKind.CONTEXT)
TRIGGER = DecisionReason(ReasonKind.TRIGGER)
HOLDOUT = DecisionReason(ReasonKind.HOLDOUT)
