from rest_framework import serializers

from core.api.serializers import ShallowFieldsMixin
from tracking.api.serializers import VISITOR_ID_PATTERN, CallerIdentityFields
from tracking.event_validation import parses_as_url

# A placement key, or a personalized block of a Wagtail page (`block:<page id>:<block id>`).
PLACEMENT_KEY_PATTERN = r"\A(?:[A-Za-z0-9_-]{1,100}|block:[0-9]{1,12}:[A-Za-z0-9-]{1,64})\Z"


def readable_url(value: str) -> str:
    """A URL or path the rules can read (the same check as an event's context.url)."""
    if not parses_as_url(value):
        raise serializers.ValidationError("must be a URL or a path")
    return value


class DecideContextSerializer(ShallowFieldsMixin, serializers.Serializer):
    device = serializers.CharField(required=False, max_length=32)
    country = serializers.RegexField(r"\A[A-Za-z]{2}\Z", required=False)
    city = serializers.CharField(required=False, max_length=100)
    url = serializers.CharField(required=False, max_length=2048, validators=[readable_url])
    referrer = serializers.CharField(required=False, max_length=2048, validators=[readable_url])
    local_time = serializers.DateTimeField(required=False)
    locale = serializers.CharField(required=False, max_length=16)
    logged_in = serializers.BooleanField(required=False)
    utm_source = serializers.CharField(required=False, max_length=200)
    utm_medium = serializers.CharField(required=False, max_length=200)
    utm_campaign = serializers.CharField(required=False, max_length=200)
    product_id = serializers.CharField(required=False, max_length=64)


class DecideInputSerializer(ShallowFieldsMixin, serializers.Serializer):
    visitor_id = serializers.RegexField(VISITOR_ID_PATTERN, required=False)
    placements = serializers.ListField(
        child=serializers.RegexField(PLACEMENT_KEY_PATTERN), min_length=1, max_length=20
    )
    context = DecideContextSerializer(required=False, default=dict)

    def to_internal_value(self, data: object) -> dict:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"body": "must be a JSON object"})
        context = data.get("context")
        if isinstance(context, dict):
            # The declared names, without building the nested serializer's fields.
            unknown = set(context) - set(DecideContextSerializer._declared_fields)
            if unknown:
                raise serializers.ValidationError(
                    {"context": dict.fromkeys(sorted(unknown), "unknown context field")}
                )
        return super().to_internal_value(data)


class PlacementDecisionSerializer(serializers.Serializer):
    component = serializers.CharField()
    variant = serializers.CharField()
    reason = serializers.CharField()
    kind = serializers.CharField()
    html = serializers.CharField()
    data = serializers.DictField()
    items = serializers.ListField(child=serializers.DictField(), required=False)
    experiment = serializers.DictField(required=False)


class DecideOutputSerializer(CallerIdentityFields):
    visitor_id = serializers.CharField(allow_null=True)
    segments = serializers.ListField(child=serializers.CharField())
    placements = serializers.DictField(child=PlacementDecisionSerializer(allow_null=True))
    personalized = serializers.BooleanField()
    degraded = serializers.BooleanField()


class PlacementVariantSerializer(serializers.Serializer):
    key = serializers.CharField()
    fallback = serializers.BooleanField()
    segments = serializers.ListField(child=serializers.CharField(), required=False)


class PlacementSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    variants = PlacementVariantSerializer(many=True)
