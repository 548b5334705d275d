"""Server keys: how the shop's backend calls the public API for any visitor."""

from django.conf import settings
from django.db import models


class ServerKey(models.Model):
    """A key of the shop's backend (API.md "Callers and identity"): it may act for any
    visitor on the public endpoints and nothing else. Only its SHA-256 is stored; the key
    itself is shown once, when it is created."""

    name = models.CharField(
        max_length=100,
        help_text="What uses the key, e.g. 'shop backend'. The key is shown once, after "
        "you create it; it lets that backend act for any visitor on the public API.",
    )
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "server key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScheduledTaskRun(models.Model):
    """The last run of one periodic task (`CELERY_BEAT_SCHEDULE`), whoever ran it: a Celery
    worker fed by beat, the in-process scheduler of the embedded default, or a person's
    "Recompute now". The dashboard shows these so one can see the periodic work happen."""

    task = models.CharField(max_length=200, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_succeeded = models.BooleanField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["task"]

    def __str__(self) -> str:
        return self.task


class JobRun(models.Model):
    """One long job a person started from the admin ("Train now", a clustering run, a
    segment's or an experiment's "Recompute now"): queued, running, finished or failed,
    with its times, so the admin shows its progress and outcome rather than "queued"."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    # The Celery task id the job was sent with; the task signals find the job by it.
    task_id = models.CharField(max_length=64, unique=True)
    task = models.CharField(max_length=200)
    label = models.CharField(max_length=200)
    return_url = models.CharField(max_length=300, blank=True)
    return_label = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-queued_at", "-pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def done(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.FAILED)
