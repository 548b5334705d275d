"""Request/response shapes of the tracking API (consent validates with these). The event
batch is validated by `tracking.event_validation` for speed; its schema here is derived
from that validator's own tables (keys, context keys, patterns, the batch limit), so the
documentation cannot drift from what ingest accepts."""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from core.client_input import MAX_CONTEXT_STRING, SESSION_ID_RE, VISITOR_ID_RE
from tracking.event_validation import (
    BOOLEAN_CONTEXT_KEYS,
    CONTEXT_KEYS,
    COUNTRY_RE,
    EVENT_TYPES,
    MAX_PROPERTIES,
)

VISITOR_ID_PATTERN = rf"\A{VISITOR_ID_RE.pattern}\Z"


def _pattern(regex: Any) -> str:
    return rf"\A{regex.pattern}\Z"


def _context_field(key: str) -> serializers.Field:
    if key in BOOLEAN_CONTEXT_KEYS:
        return serializers.BooleanField(required=False)
    if key == "country":
        return serializers.RegexField(_pattern(COUNTRY_RE), required=False)
    return serializers.CharField(required=False, max_length=MAX_CONTEXT_STRING)


# One field per context key the validator accepts.
EventContextSerializer = type(
    "EventContextSerializer",
    (serializers.Serializer,),
    {key: _context_field(key) for key in sorted(CONTEXT_KEYS)},
)


class EventSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text=f"One of {', '.join(sorted(EVENT_TYPES))}, or a registered custom type "
        "(GET /api/v1/event-types)."
    )
    visitor_id = serializers.RegexField(VISITOR_ID_PATTERN, required=False)
    session_id = serializers.RegexField(_pattern(SESSION_ID_RE), required=False)
    timestamp = serializers.DateTimeField(required=False)
    event_id = serializers.UUIDField(required=False)
    properties = serializers.DictField(
        required=False, help_text=f"At most {MAX_PROPERTIES} keys; per-type checks apply."
    )
    context = EventContextSerializer(required=False)


class EventBatchSerializer(serializers.Serializer):
    events = serializers.ListField(child=EventSerializer(), max_length=settings.PZ_MAX_BATCH_EVENTS)


class RejectedEventSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    errors = serializers.DictField(child=serializers.CharField())


class CallerIdentityFields(serializers.Serializer):
    """What a browser caller learns about itself in a public response (API.md)."""

    visitor_id = serializers.CharField(required=False)
    visitor_token = serializers.CharField(
        required=False, help_text="Browser callers: the X-Pz-Visitor token of their visitor."
    )


class IngestResultSerializer(CallerIdentityFields):
    accepted = serializers.IntegerField()
    rejected = RejectedEventSerializer(many=True)
    dropped_no_consent = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class ConsentInputSerializer(serializers.Serializer):
    visitor_id = serializers.RegexField(VISITOR_ID_PATTERN, required=False, max_length=64)
    tracking = serializers.BooleanField(required=False, allow_null=True, default=None)
    personalization = serializers.BooleanField(required=False, allow_null=True, default=None)
    marketing_email = serializers.BooleanField(required=False, allow_null=True, default=None)
    email = serializers.EmailField(required=False, max_length=254)

    def to_internal_value(self, data: object) -> dict:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"body": "must be a JSON object"})
        unknown = set(data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(dict.fromkeys(sorted(unknown), "unknown field"))
        for purpose in ("tracking", "personalization", "marketing_email"):
            if (
                purpose in data
                and data[purpose] is not None
                and not isinstance(data[purpose], bool)
            ):
                raise serializers.ValidationError({purpose: "must be true, false or null"})
        return super().to_internal_value(data)


class ConsentOutputSerializer(CallerIdentityFields):
    visitor_id = serializers.CharField()
    tracking = serializers.BooleanField()
    personalization = serializers.BooleanField()
    marketing_email = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)


class ProfileCartSerializer(serializers.Serializer):
    items = serializers.IntegerField()
    value = serializers.FloatField()
    lines = serializers.ListField(child=serializers.DictField())
    updated_at = serializers.DateTimeField(allow_null=True)


class ProfileRfmSerializer(serializers.Serializer):
    recency_days = serializers.FloatField(allow_null=True)
    frequency = serializers.IntegerField()
    monetary = serializers.FloatField()
    r = serializers.IntegerField(allow_null=True)
    f = serializers.IntegerField(allow_null=True)
    m = serializers.IntegerField(allow_null=True)
    score = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_null=True)


class ProfileFlagsSerializer(serializers.Serializer):
    cart_abandoned = serializers.BooleanField()
    high_intent = serializers.BooleanField()
    known = serializers.BooleanField()


class ProfileConsentSerializer(serializers.Serializer):
    tracking = serializers.BooleanField()
    personalization = serializers.BooleanField()


class ProfileSegmentSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    since = serializers.DateTimeField()


class VisitorProfileSerializer(serializers.Serializer):
    """`GET /visitors/{id}`: `tracking.profile_state.profile_document` (what segment rules
    address as `profile.*`), consent, and one summary per registered visitor-data section
    (`segments` here; other apps may add theirs)."""

    visitor_id = serializers.CharField()
    known = serializers.BooleanField()
    first_seen = serializers.DateTimeField(allow_null=True)
    last_seen = serializers.DateTimeField(allow_null=True)
    sessions = serializers.IntegerField()
    events = serializers.IntegerField()
    counters = serializers.DictField(child=serializers.IntegerField())
    interest = serializers.DictField(child=serializers.FloatField())
    engagement = serializers.FloatField()
    cart = ProfileCartSerializer()
    orders = serializers.IntegerField()
    revenue = serializers.FloatField()
    average_order_value = serializers.FloatField()
    rfm = ProfileRfmSerializer()
    flags = ProfileFlagsSerializer()
    last_context = serializers.DictField()
    attributes = serializers.DictField()
    consent = ProfileConsentSerializer()
    segments = ProfileSegmentSerializer(many=True)


PROPERTY_TYPE_CHOICES = ["string", "number", "boolean", "date"]


class EventTypeSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    builtin = serializers.BooleanField()
    properties = serializers.DictField(
        child=serializers.CharField(), help_text="property name -> string|number|boolean|date"
    )


class EventTypeInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=32)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    properties = serializers.DictField(
        child=serializers.ChoiceField(choices=PROPERTY_TYPE_CHOICES), required=False
    )


class AttributeSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=64)
    type = serializers.ChoiceField(choices=PROPERTY_TYPE_CHOICES)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    choices = serializers.ListField(child=serializers.JSONField(), required=False)
    builtin = serializers.BooleanField(read_only=True)


class CustomerInputSerializer(serializers.Serializer):
    customer_id = serializers.CharField(max_length=128)
    email = serializers.EmailField(required=False)
    first_name = serializers.CharField(required=False, max_length=100)
    attributes = serializers.DictField(required=False)


class CustomerBatchSerializer(serializers.Serializer):
    customers = CustomerInputSerializer(many=True, max_length=1000)


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = RejectedEventSerializer(many=True)
