"""A/B/n experiments on a placement's variants, their exposures and result snapshots.

Multivariate tests are run as independent factors: one experiment per placement, several
running at once (outside a shared layer), each analysed separately. Combinations would
multiply arms and starve each of traffic; independent factors keep every test readable.
"""

from django.conf import settings
from django.db import models


class Layer(models.Model):
    """A namespace of mutually exclusive experiments: a visitor is in at most one of them."""

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    seed = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.name


class Experiment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    hypothesis = models.TextField(blank=True, default="")
    placement = models.ForeignKey(
        "content.Placement", on_delete=models.PROTECT, related_name="experiments", null=True
    )
    # Another target than a shared placement: a page's personalized block
    # (`block:<page id>:<block id>`); then `placement` is empty.
    target = models.CharField(max_length=120, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    seed = models.CharField(max_length=32, blank=True, default="")
    traffic = models.FloatField(default=1.0, help_text="Share of eligible visitors, 0 to 1.")
    layer = models.ForeignKey(
        Layer, null=True, blank=True, on_delete=models.PROTECT, related_name="experiments"
    )
    layer_start = models.PositiveIntegerField(null=True, blank=True)
    layer_end = models.PositiveIntegerField(null=True, blank=True)
    segments = models.ManyToManyField("segments.Segment", blank=True, related_name="experiments")
    goal_event = models.CharField(max_length=32, default="purchase")
    goal_placement = models.CharField(
        max_length=100, blank=True, default="", help_text="For click goals: the placement clicked."
    )
    revenue_metric = models.BooleanField(default=True)
    guardrail_events = models.JSONField(default=list, blank=True)
    minimum_detectable_effect = models.FloatField(default=0.1)
    adaptive = models.BooleanField(
        default=False,
        help_text=(
            "Thompson-sampling allocation: new visitors follow each arm's chance of being "
            "best; exposed visitors keep their arm. Results are period-weighted."
        ),
    )
    cuped = models.BooleanField(
        default=True,
        help_text=(
            "Less noise (CUPED): adjust each visitor's outcome by their revenue and orders "
            "before the experiment, when there is such pre-period data."
        ),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    winner = models.CharField(max_length=50, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def target_key(self) -> str:
        """What decide knows the experiment by: the placement's key or the target."""
        return self.target or (self.placement.key if self.placement else "")


class Arm(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    key = models.SlugField(max_length=50)
    variant_key = models.SlugField(max_length=50, help_text="The placement variant shown.")
    weight = models.PositiveIntegerField(default=50)
    is_control = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        unique_together = [("experiment", "key")]

    def __str__(self) -> str:
        return f"{self.experiment_id}:{self.key}"


class Allocation(models.Model):
    """An adaptive experiment's arm weights for the visitors first exposed from
    `started_at` on. Period 0 is the arms' configured weights and has no row; each
    re-weighting opens the next number. Visitors keep the arm of their first exposure,
    so a period's weights only ever apply to the visitors who arrived in it."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="allocations")
    number = models.PositiveIntegerField()
    weights = models.JSONField(help_text="Arm key -> weight.")
    started_at = models.DateTimeField()

    class Meta:
        ordering = ["experiment", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "number"], name="one_allocation_number_per_experiment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.experiment_id}:{self.number}"


class Exposure(models.Model):
    """The first time a visitor was shown an arm (logged when shown, not when assigned).
    The arm is the visitor's for the rest of the experiment (sticky bucketing)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="exposures")
    arm = models.CharField(max_length=50)
    visitor_id = models.CharField(max_length=64)
    first_exposed_at = models.DateTimeField()
    # The allocation period in force at first exposure (0: the configured weights).
    allocation = models.IntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "visitor_id"], name="one_exposure_per_visitor"
            )
        ]
        indexes = [models.Index(fields=["visitor_id"], name="exposure_visitor")]


class ResultSnapshot(models.Model):
    """One computation of the results: the report, the decision and the always-valid
    p-values carried to the next look."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="snapshots")
    computed_at = models.DateTimeField()
    decision = models.CharField(max_length=64)
    srm = models.BooleanField(default=False)
    report = models.JSONField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-computed_at"]
        indexes = [
            models.Index(fields=["experiment", "computed_at"], name="snapshot_experiment_time")
        ]
