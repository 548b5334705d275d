"""Segments, their memberships over time, and clustering runs."""

from django.db import models
from django.db.models import Q

from core.validators import at_most


class Segment(models.Model):
    class Kind(models.TextChoices):
        RULE = "rule", "Rule"
        CLUSTER = "cluster", "Cluster (machine learning)"
        STATIC = "static", "Static list"

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.RULE)
    rule = models.JSONField(null=True, blank=True)
    # A child segment refines its parent: members must match the parent too.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(default=True)
    # Periodic full recompute interval for this segment (Celery beat checks every minute).
    recompute_every_minutes = models.PositiveIntegerField(
        default=60, validators=[at_most(43_200, "minutes (30 days)")]
    )
    # Values editors may reference in content placeholders ({{ segment.discount_code }}).
    placeholder_values = models.JSONField(default=dict, blank=True)
    # Set at save time: rules that read the request context (or comparisons SQL cannot
    # reproduce) are evaluated per request only and never materialized.
    real_time_only = models.BooleanField(default=False, editable=False)
    size = models.PositiveIntegerField(null=True, blank=True, editable=False)
    last_computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_compute_ms = models.PositiveIntegerField(null=True, blank=True, editable=False)
    cluster_run = models.ForeignKey(
        "ClusteringRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="segments"
    )
    cluster_label = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SegmentMembership(models.Model):
    """One period of a visitor in a segment; current members have `left_at` null.

    Entered/left timestamps give history and growth over time without a second table.
    """

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    visitor_id = models.CharField(max_length=64)
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "visitor_id"],
                condition=Q(left_at__isnull=True),
                name="one_open_membership_per_visitor",
            )
        ]
        # A segment's open periods are read through the unique constraint's partial index,
        # all its periods (deletion) through the foreign key's; every extra index is paid
        # for by each membership a recompute writes.
        indexes = [models.Index(fields=["visitor_id", "left_at"], name="membership_visitor")]

    def __str__(self) -> str:
        return f"{self.visitor_id} in {self.segment_id}"


class SegmentSizeSnapshot(models.Model):
    """Segment size after each computation, for the trend shown to staff."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    computed_at = models.DateTimeField()
    size = models.PositiveIntegerField()
    entered = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-computed_at"]
        indexes = [models.Index(fields=["segment", "computed_at"], name="snapshot_segment_time")]


class ClusteringRun(models.Model):
    """One fit of the ML segmentation: parameters, model quality per k, and centroids."""

    class Algorithm(models.TextChoices):
        KMEANS = "kmeans", "k-means"
        DBSCAN = "dbscan", "DBSCAN"

    algorithm = models.CharField(max_length=16, choices=Algorithm.choices, default="kmeans")
    parameters = models.JSONField(default=dict)
    features = models.JSONField(default=list)
    k = models.PositiveIntegerField(null=True, blank=True)
    silhouette = models.FloatField(null=True, blank=True)
    scores_by_k = models.JSONField(default=dict)  # {"2": {"silhouette": .., "inertia": ..}}
    clusters = models.JSONField(default=list)  # [{"label", "size", "centroid", "description"}]
    visitors = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="one_current_clustering_run",
            )
        ]

    def __str__(self) -> str:
        return f"{self.algorithm} k={self.k} at {self.created_at:%Y-%m-%d %H:%M}"
