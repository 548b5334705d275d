"""The feature matrix customer clustering runs on, read from visitor profiles.

One row per visitor, built from one `values_list` query streamed in chunks (no per-row
queries). Columns:

- `recency_days`: days since the last purchase. Without a purchase (only when
  `purchasers_only=False`) the largest recency of the batch, i.e. "as lapsed as anyone".
- `frequency`: orders; `monetary`: revenue; `average_order_value`: revenue / orders.
- `tenure_days`: days since the first purchase (0 without one).
- `engagement`: the decayed engagement score at `now`.
- `interest_<category>`: the category's share of the visitor's decayed interest, for the
  `top_interests` top-level categories with the largest total share. Shares rather than
  raw scores: raw decayed interest mostly repeats recency and frequency, while the share
  says what the visitor likes (and, every category decaying alike, does not drift with
  the clock).
- `device_mobile`: 1 when the last device seen (`last_context.device`) is mobile or
  tablet, else 0. The profile keeps the last device only, so this is the current device,
  not a usage mix.

`LOG_FEATURES` are the long-tailed columns `segments.clustering.cluster` should log1p.
`weights` scale the interest columns by 1/sqrt(count) so the interest mix as a whole
weighs like one feature: five mostly-zero shares would otherwise outvote RFM.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db.models.fields.json import KT

from segments.clustering import BASE_FEATURES, INTEREST_PREFIX, LOG_FEATURES, feature_names
from tracking.decay import decayed_value
from tracking.models import VisitorProfile
from tracking.selectors import profile_settings, purchasers_since

MOBILE_DEVICES = frozenset({"mobile", "tablet"})
CHUNK = 5000
DAY_SECONDS = 86400.0


@dataclass(frozen=True)
class FeatureMatrix:
    """Rows follow `visitor_ids`; columns follow `feature_names`."""

    visitor_ids: list[str]
    features: np.ndarray
    feature_names: list[str]
    log_features: tuple[str, ...] = LOG_FEATURES
    weights: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.visitor_ids)


def build_features(
    *, now: datetime, purchasers_only: bool = True, top_interests: int = 5
) -> FeatureMatrix:
    """The clustering matrix of purchasers (default: classic customer clustering) or of
    every visitor, as of `now`."""
    cfg = profile_settings()
    queryset = purchasers_since(now) if purchasers_only else VisitorProfile.objects.all()
    rows = (
        queryset.order_by("pk")
        .values_list(
            "visitor_id",
            "last_purchase_at",
            "first_purchase_at",
            "orders",
            "revenue",
            "engagement_log2",
            "interest",
            KT("last_context__device"),
        )
        .iterator(chunk_size=CHUNK)
    )
    visitor_ids: list[str] = []
    base: list[tuple[float, ...]] = []
    mobile: list[float] = []
    shares: list[dict[str, float]] = []
    totals: dict[str, float] = {}
    for visitor_id, last, first, orders, revenue, engagement, interest, device in rows:
        visitor_ids.append(visitor_id)
        base.append(
            (
                _days(now, last) if last else np.nan,
                float(orders),
                float(revenue),
                float(revenue) / orders if orders else 0.0,
                _days(now, first) if first else 0.0,
                decayed_value(engagement, now, cfg.engagement_half_life_days),
            )
        )
        mobile.append(1.0 if device in MOBILE_DEVICES else 0.0)
        mix = _interest_shares(interest or {}, now, cfg.interest_half_life_days)
        shares.append(mix)
        for category, share in mix.items():
            totals[category] = totals.get(category, 0.0) + share

    top = sorted(totals, key=lambda category: (-totals[category], category))[:top_interests]
    matrix = np.array(base, dtype=float).reshape(len(base), len(BASE_FEATURES))
    recency = matrix[:, 0]
    missing = np.isnan(recency)
    if missing.any():
        recency[missing] = np.nanmax(recency) if not missing.all() else 0.0
    interest_columns = np.array(
        [[mix.get(category, 0.0) for category in top] for mix in shares], dtype=float
    ).reshape(len(shares), len(top))
    features = np.hstack([matrix, interest_columns, np.array(mobile).reshape(-1, 1)])
    names = feature_names(top)
    weights = {INTEREST_PREFIX + category: 1 / math.sqrt(len(top)) for category in top}
    return FeatureMatrix(
        visitor_ids=visitor_ids, features=features, feature_names=names, weights=weights
    )


def _days(now: datetime, at: datetime) -> float:
    return max((now - at).total_seconds(), 0.0) / DAY_SECONDS


def _interest_shares(
    interest: dict[str, float], now: datetime, half_life_days: float
) -> dict[str, float]:
    """Share of each top-level category in the visitor's decayed interest (subcategories
    are skipped: `category_levels` already credits their parent)."""
    scores = {
        category: decayed_value(stored, now, half_life_days)
        for category, stored in interest.items()
        if "/" not in category
    }
    total = sum(scores.values())
    return {category: score / total for category, score in scores.items()} if total else {}
