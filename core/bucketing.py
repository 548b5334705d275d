"""Deterministic bucketing: one stable hash for every "which share is this visitor in"
question (the global holdout, experiment enrolment and arms, trigger control groups).
Pure: no Django, no storage. A visitor's bucketing id outlives login (stitching keeps it),
so every bucket is sticky across devices joined by a login."""

from hashlib import blake2b

BUCKETS = 10_000


def bucket(*parts: str) -> int:
    """A stable bucket in [0, BUCKETS) for the joined parts."""
    digest = blake2b(":".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def in_share(share: float, *parts: str) -> bool:
    """Whether the parts hash into the first `share` (0..1) of the buckets."""
    return share > 0 and bucket(*parts) < share * BUCKETS
