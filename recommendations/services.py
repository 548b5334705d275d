"""Training and activation of recommender versions.

`train_recommender` is the one way a model is made (nightly Celery beat, the admin's
"Train now", the staff API, `manage.py train_recommender` and the demo loader all call
it). The new version is trained and evaluated outside any transaction while the current
one keeps serving; it becomes active in one short transaction only once it is complete
and valid. A failure is recorded on its own row and leaves the active version alone.
"""

from __future__ import annotations

import logging
import pickle
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, Q

from core import clock
from core.errors import Busy
from core.jobs import start_job
from core.models import JobRun
from recommendations.artifacts import StoredArtifact, delete_artifact_files, store_artifact
from recommendations.context import context_key, grouped_event_popularity, member_popularity
from recommendations.engine import Interactions, TrainedModel, TrainingConfig, train_model
from recommendations.engine.model import scale_to_unit_max
from recommendations.engine.training import resolve_strategy_weights
from recommendations.evaluation.benchmark import build_evaluation_set, evaluate_model
from recommendations.evaluation.datasets import InteractionLog
from recommendations.evaluation.splits import temporal_split
from recommendations.models import RecommenderModel
from recommendations.selectors import ACTIVE_VERSION_KEY
from recommendations.training_data import (
    read_catalog,
    read_events,
    read_segment_members,
)

logger = logging.getLogger(__name__)

EVALUATION_K = 10


class TrainingBusy(Busy):
    """Another training is running; nothing was started."""


class TrainingFailed(Exception):
    """The training failed; the failure is recorded on ``model`` and the previously
    active version is still serving."""

    def __init__(self, message: str, model: RecommenderModel):
        super().__init__(message)
        self.model = model


@dataclass
class Fitted:
    model: TrainedModel
    metrics: dict[str, Any]
    n_users: int
    n_items: int
    n_events: int


def training_config() -> TrainingConfig:
    """`PZ_RECOMMENDER_TRAINING` hyperparameters, training every strategy the blend or a
    related-items chain serves (the blend weights are set after training)."""
    served = set(settings.PZ_RECOMMENDER_BLEND)
    for chain in settings.PZ_RECOMMENDER_RELATED_STRATEGIES.values():
        served.update(chain)
    served.discard("popularity")
    return TrainingConfig(
        **settings.PZ_RECOMMENDER_TRAINING, strategy_weights=dict.fromkeys(sorted(served), 1.0)
    )


def train_recommender(*, now: datetime | None = None) -> RecommenderModel:
    """Train a new version from the shop's events up to ``now``, evaluate it on a
    temporal holdout and make it the active one. Raises `TrainingBusy` when another
    training is running and `TrainingFailed` (recorded) when this one fails."""
    now = now or clock.now()
    config = training_config()
    row = _start_row(
        config_json={
            **_jsonable(asdict(config)),
            "blend": dict(settings.PZ_RECOMMENDER_BLEND),
            "related": {k: list(v) for k, v in settings.PZ_RECOMMENDER_RELATED_STRATEGIES.items()},
            "event_weights": dict(settings.PZ_RECOMMENDER_EVENT_WEIGHTS),
            "history_days": settings.PZ_RECOMMENDER_HISTORY_DAYS,
            "as_of": now.isoformat(),
        }
    )
    started = time.perf_counter()
    try:
        fitted = fit_recommender(now=now, config=config)
        artifact = store_artifact(
            row.version, pickle.dumps(fitted.model, protocol=pickle.HIGHEST_PROTOCOL)
        )
    except Exception as exc:
        logger.exception("recommender training v%s failed", row.version)
        _record_failure(row, f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
        raise TrainingFailed(str(exc), row) from exc
    _activate(row, fitted, artifact, time.perf_counter() - started)
    return row


def _start_row(*, config_json: dict[str, Any]) -> RecommenderModel:
    stale_before = clock.now() - timedelta(seconds=settings.PZ_RECOMMENDER_TRAINING_TIMEOUT)
    with transaction.atomic():
        training = RecommenderModel.objects.select_for_update().filter(
            status=RecommenderModel.Status.TRAINING
        )
        # A worker that died mid-training leaves its row behind; it is not running.
        training.filter(created_at__lt=stale_before).update(
            status=RecommenderModel.Status.FAILED,
            error="interrupted (no result within the training timeout)",
        )
        busy = training.filter(created_at__gte=stale_before).exists()
        if not busy:
            latest = RecommenderModel.objects.aggregate(latest=Max("version"))["latest"] or 0
            row = RecommenderModel.objects.create(version=latest + 1, config=config_json)
    if busy:
        raise TrainingBusy("a recommender training is already running")
    return row


def _record_failure(row: RecommenderModel, error: str, seconds: float) -> None:
    RecommenderModel.objects.filter(pk=row.pk).update(
        status=RecommenderModel.Status.FAILED,
        error=error[:4000],
        training_seconds=seconds,
        finished_at=clock.now(),
    )
    row.refresh_from_db()


def _activate(
    row: RecommenderModel, fitted: Fitted, artifact: StoredArtifact, seconds: float
) -> None:
    """Swap the active version in one transaction; readers see the old or the new one
    (an artifact file was written before and becomes reachable only by this commit)."""
    try:
        with transaction.atomic():
            list(RecommenderModel.objects.select_for_update().filter(is_active=True))
            RecommenderModel.objects.filter(is_active=True).update(
                is_active=False, status=RecommenderModel.Status.RETIRED
            )
            RecommenderModel.objects.filter(pk=row.pk).update(
                status=RecommenderModel.Status.READY,
                is_active=True,
                metrics=fitted.metrics,
                n_users=fitted.n_users,
                n_items=fitted.n_items,
                n_events=fitted.n_events,
                training_seconds=seconds,
                config={**row.config, "served_blend": fitted.model.strategy_weights},
                artifact=artifact.inline,
                artifact_file=artifact.file_name,
                artifact_sha256=artifact.sha256,
                artifact_bytes=artifact.size,
                finished_at=clock.now(),
            )
            _drop_old_artifacts()
            version = row.version
            transaction.on_commit(
                lambda: cache.set(
                    ACTIVE_VERSION_KEY, version, settings.PZ_RECOMMENDER_VERSION_CACHE_SECONDS
                )
            )
    except BaseException:
        # Rolled back: no row names the new file.
        delete_artifact_files([artifact.file_name])
        raise
    row.refresh_from_db()


def _drop_old_artifacts() -> None:
    """Retired versions beyond `PZ_RECOMMENDER_KEEP_ARTIFACTS` lose their bytes; their
    files are deleted once that is committed (a rollback leaves them in use)."""
    keep = settings.PZ_RECOMMENDER_KEEP_ARTIFACTS
    with_artifact = RecommenderModel.objects.filter(
        Q(artifact__isnull=False) | ~Q(artifact_file=""), is_active=False
    )
    old = list(with_artifact.values_list("pk", "artifact_file")[keep:])
    RecommenderModel.objects.filter(pk__in=[pk for pk, _ in old]).update(
        artifact=None, artifact_file=""
    )
    files = [name for _, name in old if name]
    if files:
        transaction.on_commit(lambda: delete_artifact_files(files))


def fit_recommender(*, now: datetime, config: TrainingConfig | None = None) -> Fitted:
    """Read events, catalog and segments, evaluate on a temporal holdout, train on all
    events and attach per-segment/country/device popularity. Raises ValueError when
    there is nothing to learn from."""
    config = config or training_config()
    since = now - timedelta(days=settings.PZ_RECOMMENDER_HISTORY_DAYS)
    events = read_events(since=since, until=now, weights=settings.PZ_RECOMMENDER_EVENT_WEIGHTS)
    if not len(events):
        raise ValueError(
            f"no product events in the last {settings.PZ_RECOMMENDER_HISTORY_DAYS} days"
        )
    catalog = read_catalog()
    users, items = np.asarray(events.users), np.asarray(events.items)
    weights = np.asarray(events.weights, dtype=np.float32)
    stamps = np.asarray(events.timestamps, dtype=np.float64)
    baskets = np.asarray(events.baskets, dtype=object)
    interactions = Interactions.from_arrays(
        users, items, weights, stamps, known_items=catalog.product_ids
    )
    # EASE or the large-catalogue strategy is chosen by the shop's catalogue size, for the
    # holdout model too (its training split knows fewer products).
    config = replace(
        config,
        strategy_weights=resolve_strategy_weights(
            config.strategy_weights, interactions.n_items, config
        ),
    )
    blend = resolve_strategy_weights(settings.PZ_RECOMMENDER_BLEND, interactions.n_items, config)
    metrics = evaluate_holdout(
        InteractionLog(
            name="shop",
            users=users,
            items=items,
            weights=weights,
            timestamps=stamps,
            baskets=baskets,
            item_texts=catalog.texts,
        ),
        config,
        blend,
    )
    model = _train(interactions, config, blend, catalog.texts, baskets, items)
    min_users = settings.PZ_RECOMMENDER_MIN_CONTEXT_USERS
    groups: dict[str, np.ndarray] = {}
    for dimension, values in (("country", events.countries), ("device", events.devices)):
        by_value = grouped_event_popularity(
            interactions.event_users,
            interactions.event_items,
            values,
            interactions.n_items,
            min_users=min_users,
        )
        groups.update({context_key(dimension, v): p for v, p in by_value.items()})
    by_segment = member_popularity(
        interactions.matrix, interactions.user_index, read_segment_members(), min_users=min_users
    )
    groups.update({context_key("segment", k): p for k, p in by_segment.items()})
    model.segment_popularity.update({k: scale_to_unit_max(v) for k, v in groups.items()})
    if not interactions.n_users or not np.any(model.popularity > 0):
        raise ValueError("the trained model is empty")
    return Fitted(
        model=model,
        metrics=metrics,
        n_users=interactions.n_users,
        n_items=interactions.n_items,
        n_events=len(events),
    )


def _train(
    interactions: Interactions,
    config: TrainingConfig,
    blend: dict[str, float],
    texts: dict[str, str],
    baskets: np.ndarray,
    items: np.ndarray,
) -> TrainedModel:
    in_basket = np.fromiter((b is not None for b in baskets), dtype=bool, count=len(baskets))
    model = train_model(
        interactions,
        config,
        item_texts=texts,
        baskets=(baskets[in_basket], items[in_basket])
        if "bought_together" in config.active_strategies()
        else None,
    )
    return replace(model, strategy_weights=dict(blend))


def evaluate_holdout(
    log: InteractionLog, config: TrainingConfig, blend: dict[str, float]
) -> dict[str, Any]:
    """NDCG/precision/recall/hit rate/coverage at 10 of the blend ("personal"), each
    trained strategy alone and popularity, trained on all but the last
    `PZ_RECOMMENDER_HOLDOUT_FRACTION` of the time span and tested on it."""
    fraction = settings.PZ_RECOMMENDER_HOLDOUT_FRACTION
    train_log, test_log = temporal_split(log, test_fraction=fraction)
    evaluation = build_evaluation_set(train_log, test_log)
    holdout = {
        "protocol": f"temporal: last {fraction:.0%} of the time span held out, "
        "test users known before it, items they already had excluded",
        "train_events": len(train_log),
        "test_events": len(test_log),
        "test_users": len(evaluation.test_users),
    }
    result: dict[str, Any] = {"k": EVALUATION_K, "holdout": holdout, "strategies": {}}
    if not len(evaluation.test_users):
        return result
    assert train_log.baskets is not None  # noqa: S101 - built with baskets above
    model = _train(
        evaluation.train, config, blend, dict(log.item_texts), train_log.baskets, train_log.items
    )
    candidates = {"personal": blend, "popularity": {"popularity": 1}}
    candidates.update({name: {name: 1.0} for name in sorted(model.neighbours)})
    for name, weights in candidates.items():
        scored = evaluate_model(replace(model, strategy_weights=weights), evaluation, EVALUATION_K)
        result["strategies"][name] = {
            "ndcg": round(scored.ndcg, 5),
            "precision": round(scored.precision, 5),
            "recall": round(scored.recall, 5),
            "hit_rate": round(scored.hit_rate, 5),
            "coverage": round(scored.coverage, 5),
        }
    return result


def request_training(*, user: Any = None, return_url: str = "", return_label: str = "") -> JobRun:
    """Queue a training (the admin button and the staff API), sent after commit; the job
    records its progress (`core.jobs`)."""
    from recommendations.tasks import train_recommender_task

    return start_job(
        train_recommender_task,
        label="Training the recommender",
        return_url=return_url,
        return_label=return_label,
        user=user,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def describe(model: RecommenderModel) -> str:
    """One summary line for the command's output."""
    personal = model.metrics.get("strategies", {}).get("personal", {})
    popular = model.metrics.get("strategies", {}).get("popularity", {})
    ndcg = (
        f", NDCG@10 personal {personal['ndcg']:.4f} vs popularity {popular['ndcg']:.4f}"
        if personal and popular
        else ""
    )
    return (
        f"recommender v{model.version}: {model.status}, {model.n_users} visitors, "
        f"{model.n_items} products, {model.training_seconds or 0:.1f} s{ndcg}"
    )
