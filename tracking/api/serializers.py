"""Request/response shapes of the tracking API (consent validates with these; the event
batch is validated by `tracking.event_validation` for speed and documented here)."""

from rest_framework import serializers

from core.client_input import VISITOR_ID_RE
from tracking.event_validation import EVENT_TYPES

VISITOR_ID_PATTERN = rf"\A{VISITOR_ID_RE.pattern}\Z"


class EventContextSerializer(serializers.Serializer):
    device = serializers.CharField(required=False)
    country = serializers.CharField(required=False, max_length=2)
    city = serializers.CharField(required=False)
    referrer = serializers.CharField(required=False)
    url = serializers.CharField(required=False)
    utm_source = serializers.CharField(required=False)
    utm_medium = serializers.CharField(required=False)
    utm_campaign = serializers.CharField(required=False)
    local_time = serializers.CharField(required=False)


class EventSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text=f"One of {', '.join(sorted(EVENT_TYPES))}, or a registered custom type "
        "(GET /api/v1/event-types)."
    )
    visitor_id = serializers.RegexField(VISITOR_ID_PATTERN, required=False)
    session_id = serializers.CharField(required=False, max_length=128)
    timestamp = serializers.DateTimeField(required=False)
    event_id = serializers.UUIDField(required=False)
    properties = serializers.DictField(required=False)
    context = EventContextSerializer(required=False)


class EventBatchSerializer(serializers.Serializer):
    events = EventSerializer(many=True, max_length=1000)


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
