"""Events (append-only) and the per-visitor profile they update incrementally."""

from django.db import models


class Event(models.Model):
    """One tracked event as accepted by the ingest API; rows are never updated.

    On PostgreSQL the table is partitioned by month of `timestamp` (tracking/partitions.py;
    the primary key there is (id, timestamp)); elsewhere it is one table."""

    # Client-supplied; a resend of the same id by the same visitor is a no-op, enforced by
    # EventReceipt (a partitioned table takes no unique key without the partition column).
    event_id = models.UUIDField(null=True, blank=True)
    visitor_id = models.CharField(max_length=64)
    session_id = models.CharField(max_length=128, blank=True, default="")
    type = models.CharField(max_length=32)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()
    properties = models.JSONField(default=dict, blank=True)
    context = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["visitor_id", "type", "timestamp"], name="event_visitor_type_time"
            ),
            # Covering: segment event windows (type, time range) read the visitor ids
            # from the index alone.
            models.Index(
                fields=["type", "timestamp"], include=["visitor_id"], name="event_type_time_visitor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} by {self.visitor_id} at {self.timestamp:%Y-%m-%d %H:%M}"


class EventReceipt(models.Model):
    """The (visitor, event_id) of every stored event that came with an id: claiming a row
    here in the ingest transaction is what makes a resend a no-op. Unique per visitor only:
    one visitor's id must never drop another visitor's event. `timestamp` is the event's,
    so retention drops receipts with their events."""

    visitor_id = models.CharField(max_length=64)
    event_id = models.UUIDField()
    timestamp = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["visitor_id", "event_id"], name="event_receipt_visitor_event_id"
            )
        ]
        indexes = [models.Index(fields=["timestamp"], name="event_receipt_time")]

    def __str__(self) -> str:
        return f"{self.event_id} of {self.visitor_id}"


class VisitorProfile(models.Model):
    """A visitor's live state: consent, counters, decayed scores, cart, RFM and context.

    Decayed scores (`interest`, `engagement_log2`) are stored as log2 of the score
    scaled to `tracking.decay.EPOCH`, so adding an event is one addition in log space
    and a threshold query is a constant comparison (see `tracking/decay.py`).
    """

    visitor_id = models.CharField(max_length=64, unique=True)
    # HMAC of the shop's customer id; set once the visitor is known (login, CRM import).
    customer_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Stable id for experiment bucketing that survives stitching.
    bucketing_id = models.CharField(max_length=64)
    consent_tracking = models.BooleanField(null=True, blank=True)
    consent_personalization = models.BooleanField(null=True, blank=True)
    consent_updated_at = models.DateTimeField(null=True, blank=True)
    # Marketing e-mail: its own purpose, never on by default; when and where it was given
    # (or withdrawn), the address given with it (an anonymous visitor at checkout start),
    # and, with double opt-in, when the address was confirmed.
    consent_marketing_email = models.BooleanField(null=True, blank=True)
    consent_marketing_email_at = models.DateTimeField(null=True, blank=True)
    consent_marketing_email_source = models.CharField(max_length=40, blank=True, default="")
    consent_marketing_email_confirmed_at = models.DateTimeField(null=True, blank=True)
    marketing_email_address = models.EmailField(blank=True, default="")

    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    sessions = models.PositiveIntegerField(default=0)
    last_session_id = models.CharField(max_length=128, blank=True, default="")
    events_count = models.PositiveIntegerField(default=0)
    counters = models.JSONField(default=dict, blank=True)
    interest = models.JSONField(default=dict, blank=True)
    engagement_log2 = models.FloatField(null=True, blank=True)

    cart = models.JSONField(default=dict, blank=True)
    cart_items = models.PositiveIntegerField(default=0)
    cart_value = models.FloatField(default=0.0)
    last_cart_at = models.DateTimeField(null=True, blank=True)
    checkout_started_at = models.DateTimeField(null=True, blank=True)

    orders = models.PositiveIntegerField(default=0)
    revenue = models.FloatField(default=0.0)
    first_purchase_at = models.DateTimeField(null=True, blank=True)
    last_purchase_at = models.DateTimeField(null=True, blank=True)
    rfm_r = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_f = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_m = models.PositiveSmallIntegerField(null=True, blank=True)

    last_context = models.JSONField(default=dict, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["last_purchase_at"], name="profile_last_purchase"),
            models.Index(fields=["last_seen"], name="profile_last_seen"),
        ]

    def __str__(self) -> str:
        return self.visitor_id


class VisitorAlias(models.Model):
    """An anonymous visitor id that was stitched into a known visitor's profile."""

    alias_id = models.CharField(max_length=64, unique=True)
    visitor_id = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.alias_id} -> {self.visitor_id}"


class RfmScale(models.Model):
    """Quintile cut points for recency (days), frequency and monetary; one row, refreshed
    by a Celery task so write-time RFM scores need no aggregate query."""

    recency_cuts = models.JSONField(default=list)
    frequency_cuts = models.JSONField(default=list)
    monetary_cuts = models.JSONField(default=list)
    customers = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"RFM scale of {self.customers} customers at {self.computed_at:%Y-%m-%d %H:%M}"


class PendingAnnouncement(models.Model):
    """Committed events whose follow-up work (segment refresh, triggers, recommender)
    could not be queued, e.g. while the broker was down: a beat task announces them again,
    so no stored event goes unprocessed. Receivers are idempotent; rows live minutes."""

    visitor_ids = models.JSONField()
    event_types = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{len(self.visitor_ids)} visitors at {self.created_at:%Y-%m-%d %H:%M}"


class EventTypeDefinition(models.Model):
    """A shop's own event type (`wishlist_add`) with its typed properties: ingest accepts
    it and rules, triggers and the rule builder offer it (`tracking.definitions`)."""

    name = models.CharField(max_length=32, unique=True)
    label = models.CharField(max_length=100, blank=True)
    # property name -> one of tracking.rule_fields.FIELD_TYPES
    properties = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "custom event type"

    def __str__(self) -> str:
        return self.label or self.name


class AttributeDefinition(models.Model):
    """A customer attribute the shop imports (`loyalty_tier`): its type, label and allowed
    values; `PUT /customers` and the CSV import check values against it and rules read
    `attributes.<key>` with its type."""

    class Type(models.TextChoices):
        STRING = "string", "Text"
        NUMBER = "number", "Number"
        BOOLEAN = "boolean", "Yes / no"
        DATE = "date", "Date"

    key = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.STRING)
    label = models.CharField(max_length=100, blank=True)
    # Allowed values (empty: any value of the type).
    choices = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "customer attribute"

    def __str__(self) -> str:
        return self.label or self.key
