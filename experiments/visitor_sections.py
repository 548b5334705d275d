"""Experiments' share of a visitor's data: exposures (export, erasure, stitching)."""

from typing import Any

from django.core.cache import cache
from django.db import transaction

from core.visitor_data import VisitorDataSection, register_section
from experiments.models import Exposure
from experiments.selectors import exposure_cache_key
from tracking.models import VisitorProfile


def _export(ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "experiment": row["experiment__key"],
            "arm": row["arm"],
            "visitor_id": row["visitor_id"],
            "first_exposed_at": row["first_exposed_at"].isoformat(),
        }
        for row in Exposure.objects.filter(visitor_id__in=ids).values(
            "experiment__key", "arm", "visitor_id", "first_exposed_at"
        )
    ]


def _erase(ids: list[str]) -> None:
    """Delete the exposures and, once that commits, their cached arms: a returning id
    must be exposed (and counted) afresh, not shown a forgotten arm."""
    rows = list(
        Exposure.objects.filter(visitor_id__in=ids).values_list("experiment_id", "visitor_id")
    )
    Exposure.objects.filter(visitor_id__in=ids).delete()
    keys = [exposure_cache_key(experiment_id, visitor_id) for experiment_id, visitor_id in rows]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))


def register_experiment_sections() -> None:
    register_section(
        VisitorDataSection(
            name="experiment_exposures",
            models=(Exposure,),
            export=_export,
            erase=_erase,
        )
    )


def on_visitors_merged(
    sender: Any, source_visitor_id: str, target_visitor_id: str, **kwargs: Any
) -> None:
    """Keep arms stable through stitching: a known visitor who never saw an experiment
    takes over the anonymous visitor's bucketing id, so what they were shown stays; one
    who already has exposures keeps theirs (the earliest arms win). Exposures move along,
    the known visitor's own taking precedence."""
    source_has = Exposure.objects.filter(visitor_id=source_visitor_id).exists()
    target_has = Exposure.objects.filter(visitor_id=target_visitor_id).exists()
    if source_has and not target_has:
        bucketing = (
            VisitorProfile.objects.filter(visitor_id=source_visitor_id)
            .values_list("bucketing_id", flat=True)
            .first()
        )
        if bucketing:
            VisitorProfile.objects.filter(visitor_id=target_visitor_id).update(
                bucketing_id=bucketing
            )
    taken = Exposure.objects.filter(visitor_id=target_visitor_id).values("experiment_id")
    Exposure.objects.filter(visitor_id=source_visitor_id).exclude(experiment_id__in=taken).update(
        visitor_id=target_visitor_id
    )
    Exposure.objects.filter(visitor_id=source_visitor_id).delete()
