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
    type = serializers.ChoiceField(choices=sorted(EVENT_TYPES))
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

    def to_internal_value(self, data: object) -> dict:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"body": "must be a JSON object"})
        unknown = set(data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(dict.fromkeys(sorted(unknown), "unknown field"))
        for purpose in ("tracking", "personalization"):
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
