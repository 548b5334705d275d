"""Behavioral triggers: what starts them, what they check, what they do, and their log."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.search import index

from core.key_panels import KeyPanel, NameToKeyPanel
from segments.conditions import EVENT_TYPES

EVENT_CHOICES = [(name, name) for name in sorted(EVENT_TYPES)]


class EmailTemplate(index.Indexed, models.Model):
    """An email an editor writes in Wagtail; `{{ visitor.first_name|default:"there" }}`
    style placeholders resolve through `content.placeholders`, nothing else runs."""

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=300)
    body = models.TextField(help_text="Plain text; safe placeholders only.")
    updated_at = models.DateTimeField(auto_now=True)

    panels = [NameToKeyPanel(), KeyPanel(), FieldPanel("subject"), FieldPanel("body")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Trigger(models.Model):
    """When an entry event (or a periodic sweep) finds a visitor matching the conditions,
    run one action, within caps, quiet hours and consent."""

    class Kind(models.TextChoices):
        EVENT = "event", "On an event"
        SWEEP = "sweep", "Periodic sweep"

    class Action(models.TextChoices):
        ONSITE = "onsite", "On-site message (pop-up)"
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"
        SEGMENT_ADD = "segment_add", "Add to static segment"
        SEGMENT_REMOVE = "segment_remove", "Remove from static segment"

    class Consent(models.TextChoices):
        TRACKING = "tracking", "Tracking"
        PERSONALIZATION = "personalization", "Personalization"

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EVENT)
    entry_event = models.CharField(max_length=32, choices=EVENT_CHOICES, blank=True)
    wait_seconds = models.PositiveIntegerField(
        default=0, help_text="Check again this long after the entry event (0: at once)."
    )
    cancel_event = models.CharField(
        max_length=32,
        choices=EVENT_CHOICES,
        blank=True,
        help_text="Nothing is sent if this event happens during the wait.",
    )
    conditions = models.JSONField(
        default=dict,
        blank=True,
        help_text='Segment rule language; "$entry.<property>" stands for the entry '
        "event's property. Empty: always.",
    )
    frequency_cap_count = models.PositiveIntegerField(default=1)
    frequency_cap_seconds = models.PositiveIntegerField(
        default=7 * 24 * 3600, help_text="At most `count` firings per visitor in this period."
    )
    daily_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many firings per store day (all visitors)."
    )
    quiet_start_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(23)]
    )
    quiet_end_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(23)]
    )
    consent = models.CharField(max_length=20, choices=Consent.choices, default=Consent.TRACKING)

    action = models.CharField(max_length=20, choices=Action.choices, default=Action.ONSITE)
    popup = models.ForeignKey(
        "content.Component", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    email_template = models.ForeignKey(
        EmailTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="triggers"
    )
    webhook_url = models.URLField(blank=True)
    webhook_secret = models.CharField(max_length=200, blank=True)
    webhook_timeout_seconds = models.FloatField(default=5.0)
    webhook_max_attempts = models.PositiveSmallIntegerField(default=4)
    segment = models.ForeignKey(
        "segments.Segment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from triggers.services import trigger_errors

        errors = trigger_errors(self)
        if errors:
            raise ValidationError(errors)


class Firing(models.Model):
    """One occurrence of a trigger for a visitor; the unique occurrence key makes a
    redelivered task or a duplicate event a no-op."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        FIRED = "fired", "Fired"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"
        DEAD = "dead", "Dead letter"

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="firings")
    visitor_id = models.CharField(max_length=64)
    occurrence_key = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)
    entry_at = models.DateTimeField()
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "visitor_id", "occurrence_key"], name="firing_once"
            ),
            # Debounce: a burst of entry events waits on one check per visitor.
            models.UniqueConstraint(
                fields=["trigger", "visitor_id"],
                condition=models.Q(status="pending"),
                name="firing_one_pending",
            ),
        ]
        indexes = [
            models.Index(fields=["trigger", "visitor_id", "decided_at"], name="firing_cap"),
            models.Index(fields=["status", "due_at"], name="firing_due"),
            models.Index(fields=["visitor_id"], name="firing_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} for {self.visitor_id}: {self.status}"


class TriggerVisitorLock(models.Model):
    """A row per trigger and visitor that a firing decision updates first: the write
    serialises concurrent decisions (a row lock on PostgreSQL, the write lock on SQLite),
    so the frequency cap counts every committed firing."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="+")
    visitor_id = models.CharField(max_length=64)
    touched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trigger", "visitor_id"], name="trigger_visitor_lock")
        ]


class TriggerDayCount(models.Model):
    """Firings of a trigger per store day, incremented conditionally for the global cap."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    fired = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trigger", "day"], name="trigger_day")]


class PendingMessage(models.Model):
    """The on-site message a visitor sees at their next request (newest wins)."""

    visitor_id = models.CharField(max_length=64, unique=True)
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="+")
    firing = models.ForeignKey(Firing, on_delete=models.CASCADE, related_name="+")
    component = models.ForeignKey("content.Component", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.component_id} for {self.visitor_id}"


class DeadLetter(models.Model):
    """A webhook delivery that failed its last attempt, kept for inspection or replay."""

    firing = models.OneToOneField(Firing, on_delete=models.CASCADE, related_name="dead_letter")
    url = models.URLField()
    body = models.TextField()
    attempts = models.PositiveSmallIntegerField()
    last_error = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"dead letter of firing {self.firing_id}"
