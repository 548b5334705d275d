"""Behavioral triggers: what starts them, what they check, what they do, and their log."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import PreviewableMixin
from wagtail.search import index

from core.key_panels import KeyPanel, NameToKeyPanel
from core.validators import at_most
from triggers.email_blocks import EmailBlocks


class CouponOffer(index.Indexed, models.Model):
    """An offer whose codes are unique per visitor: taken from an uploaded pool, or
    generated when the pool is empty (`generate`). A code is single use and expires."""

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    percent = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(100)], help_text="Discount in percent."
    )
    prefix = models.CharField(
        max_length=12, blank=True, help_text="Generated codes start with this (e.g. CART)."
    )
    valid_days = models.PositiveSmallIntegerField(
        default=14, validators=[at_most(3650, "days (10 years)")], help_text="Days a code is valid."
    )
    generate = models.BooleanField(
        default=True, help_text="Generate codes when the pool is empty (else: no code)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        NameToKeyPanel(),
        KeyPanel(),
        FieldPanel("percent"),
        FieldPanel("prefix"),
        FieldPanel("valid_days"),
        FieldPanel("generate"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.percent}%)"


class Coupon(models.Model):
    """One code of an offer: unissued (pool, no visitor) or issued to one visitor."""

    offer = models.ForeignKey(CouponOffer, on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(max_length=40, unique=True)
    visitor_id = models.CharField(max_length=64, blank=True, default="")
    issued_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    order_id = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints = [
            # Per visitor: one code of an offer, however many sends race for it.
            models.UniqueConstraint(
                fields=["offer", "visitor_id"],
                condition=~models.Q(visitor_id=""),
                name="coupon_one_per_visitor",
            )
        ]
        indexes = [models.Index(fields=["visitor_id"], name="coupon_visitor")]

    def __str__(self) -> str:
        return self.code


class EmailTemplate(PreviewableMixin, index.Indexed, models.Model):
    """An e-mail an editor writes in Wagtail: blocks of text with safe placeholders
    (`{{ visitor.first_name|default:"there" }}` through `content.placeholders`, nothing
    else runs), the visitor's cart, recommended products and an offer with a unique code.
    Without blocks, `body` is the whole (plain) e-mail."""

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=300)
    body = models.TextField(
        blank=True, help_text="Plain text used when there are no blocks; safe placeholders only."
    )
    content = StreamField(EmailBlocks(), blank=True, default=list)
    preview_visitor_id = models.CharField(
        "Preview as visitor",
        max_length=64,
        blank=True,
        help_text="The live preview shows the e-mail as this visitor would get it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        NameToKeyPanel(),
        KeyPanel(),
        FieldPanel("subject"),
        FieldPanel("content"),
        FieldPanel("body"),
        FieldPanel("preview_visitor_id"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_preview_template(self, request: object, mode_name: str) -> str:
        return "triggers/email/preview.html"

    def get_preview_context(self, request: object, mode_name: str) -> dict[str, object]:
        from triggers.services.email import preview_email

        return {"email": preview_email(template=self, visitor_id=self.preview_visitor_id)}


def default_control_share() -> float:
    return settings.PZ_TRIGGER_CONTROL_SHARE


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
    # Any event type of the field registry, custom ones included (checked by
    # `trigger_errors`; the admin offers them in `triggers.admin_viewsets`).
    entry_event = models.CharField(max_length=32, blank=True)
    wait_seconds = models.PositiveIntegerField(
        default=0, help_text="Check again this long after the entry event (0: at once)."
    )
    cancel_event = models.CharField(
        max_length=32,
        blank=True,
        help_text="Nothing is sent if this event happens during the wait.",
    )
    conditions = models.JSONField(
        default=dict,
        blank=True,
        help_text='Segment rule language; "$entry.<property>" stands for the entry '
        "event's property. Empty: always.",
    )
    frequency_cap_count = models.PositiveIntegerField(
        default=1, validators=[at_most(1000, "firings per visitor")]
    )
    frequency_cap_seconds = models.PositiveIntegerField(
        default=7 * 24 * 3600, help_text="At most `count` firings per visitor in this period."
    )
    daily_cap = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[at_most(1_000_000, "firings a day")],
        help_text="At most this many firings per store day (all visitors).",
    )
    quiet_start_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(23)]
    )
    quiet_end_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(23)]
    )
    consent = models.CharField(max_length=20, choices=Consent.choices, default=Consent.TRACKING)
    # Visitors in this share (a stable hash per trigger) are the control group: logged as
    # "would have fired" and never contacted, so the trigger's effect can be measured.
    control_share = models.FloatField(
        default=default_control_share,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.5)],
        help_text="Share of matched visitors held back as a control group (0 to 0.5).",
    )

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
        CONTROL = "control", "Control (would have fired)"

    # No index of its own: firing_once leads with the trigger, and every index is
    # written again by each of the many firings a batch inserts. No database constraint
    # either: its check of every inserted row at commit cost a fifth of a firing batch's
    # commit. Deleting a trigger still deletes its firings (Django's cascade).
    trigger = models.ForeignKey(
        Trigger,
        on_delete=models.CASCADE,
        related_name="firings",
        db_index=False,
        db_constraint=False,
    )
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
        # The admin's title and breadcrumbs agree with its menu item.
        verbose_name = "trigger firing"
        verbose_name_plural = "trigger log"
        constraints = [
            # Also the cap counts' index: a (trigger, visitor) pair has few rows.
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
            # Pending rows only: the many decided rows a batch inserts skip it.
            models.Index(
                fields=["due_at"], condition=models.Q(status="pending"), name="firing_pending_due"
            ),
            models.Index(fields=["visitor_id"], name="firing_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} for {self.visitor_id}: {self.status}"


class TriggerVisitorLock(models.Model):
    """What a firing decision writes first where it has no lighter lock, so concurrent
    decisions queue and the frequency cap counts every committed firing: on SQLite one
    row (the write lock covers the database); PostgreSQL takes advisory locks instead."""

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
    # Written with every firing batch's pop-ups: no database constraints to check at
    # commit (see Firing.trigger); Django's cascade deletes them with their firing,
    # trigger or component.
    trigger = models.ForeignKey(
        Trigger, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    firing = models.ForeignKey(
        Firing, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    component = models.ForeignKey(
        "content.Component", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
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


class EmailSend(models.Model):
    """The e-mail a firing sent: its ESP message id (to match tracking webhooks) and
    what happened to it since."""

    firing = models.OneToOneField(Firing, on_delete=models.CASCADE, related_name="email_send")
    visitor_id = models.CharField(max_length=64, db_index=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    esp = models.CharField(max_length=40, blank=True)
    sent_at = models.DateTimeField()
    status = models.CharField(max_length=20, default="sent")
    coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"e-mail of firing {self.firing_id}: {self.status}"


class EmailEvent(models.Model):
    """What happened to a sent e-mail, per firing: an ESP's tracking webhook (delivered,
    bounced, complained, opened, clicked) or pz's own pixel and click redirect. The ESP's
    event id makes a redelivered webhook a no-op."""

    send = models.ForeignKey(EmailSend, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20)
    source = models.CharField(max_length=10, default="esp")
    event_id = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["send", "kind", "event_id"],
                condition=~models.Q(event_id=""),
                name="email_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.send_id}"


class EmailSuppression(models.Model):
    """An address no marketing e-mail goes to again (hard bounce, complaint,
    unsubscribe). Kept as a keyed hash, so it outlives the visitor's erasure without
    holding the address."""

    address_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"suppressed ({self.reason})"
