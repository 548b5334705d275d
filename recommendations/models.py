"""Trained recommender versions: metadata, offline metrics and the serving artifact."""

from django.db import models
from django.db.models import Q


class WithoutArtifactManager(models.Manager):
    """Lists and admin screens never load the (megabytes of) pickled model."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().defer("artifact")


class RecommenderModel(models.Model):
    """One training run; at most one row is active and serving.

    The artifact is the pickled `engine.TrainedModel`. Up to
    `PZ_RECOMMENDER_ARTIFACT_DB_MAX_BYTES` it is kept in the row (a BinaryField), so
    every web and worker host reads it from the database they already share; larger
    ones (catalogues of 100,000s of products) are written to the `recommender_artifacts`
    storage first and the row names the file (`artifact_file`, with its SHA-256). Either
    way the row becomes active in one transaction, so a reader never sees an active row
    without its model. It is loaded once per process per version
    (`recommendations.serving`); retired versions beyond `PZ_RECOMMENDER_KEEP_ARTIFACTS`
    have their bytes and files dropped.

    The artifact holds no personal data (item ids, item-to-item weights or item factors,
    popularity per country/device/segment: no visitor ids, no per-visitor vectors), so
    visitor export and erasure have nothing to do with it.
    """

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        RETIRED = "retired", "Retired"

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRAINING)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # TrainingConfig and data window used, as JSON.
    config = models.JSONField(default=dict, blank=True)
    # Offline evaluation on a temporal holdout: {"k", "holdout": {...}, "strategies": {
    # name: {"ndcg", "precision", "recall", "hit_rate", "coverage"}}}.
    metrics = models.JSONField(default=dict, blank=True)
    n_users = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    n_events = models.PositiveIntegerField(default=0)
    training_seconds = models.FloatField(null=True, blank=True)
    artifact_bytes = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    artifact = models.BinaryField(null=True, blank=True, editable=False)
    # Name in the `recommender_artifacts` storage when the artifact is not in the row.
    artifact_file = models.CharField(max_length=255, blank=True, default="", editable=False)
    artifact_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = WithoutArtifactManager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_recommender"
            )
        ]

    def __str__(self) -> str:
        return f"Recommender v{self.version} ({self.status})"
