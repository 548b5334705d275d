from django.conf import settings
from rest_framework import serializers

from recommendations.serving import STRATEGIES
from tracking.api.serializers import VISITOR_ID_PATTERN, CallerIdentityFields

PRODUCT_ID_PATTERN = r"\A[A-Za-z0-9_.:/-]{1,64}\Z"


class RecommendationsQuerySerializer(serializers.Serializer):
    visitor_id = serializers.RegexField(VISITOR_ID_PATTERN, required=False)
    k = serializers.IntegerField(
        required=False, default=10, min_value=1, max_value=settings.PZ_RECOMMENDER_MAX_K
    )
    strategy = serializers.ChoiceField(choices=STRATEGIES, required=False, default="personal")
    product_id = serializers.RegexField(PRODUCT_ID_PATTERN, required=False)
    segment = serializers.SlugField(required=False, max_length=100)
    country = serializers.RegexField(r"\A[A-Za-z]{2}\Z", required=False)
    device = serializers.RegexField(r"\A[a-z]{1,16}\Z", required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["strategy"] == "similar" and not attrs.get("product_id"):
            raise serializers.ValidationError({"product_id": "required for strategy 'similar'"})
        return attrs


class RecommendedItemSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    score = serializers.FloatField(help_text="Higher is better; comparable within a response.")
    title = serializers.CharField(allow_null=True)
    price = serializers.FloatField(allow_null=True)


class RecommendationsSerializer(CallerIdentityFields):
    strategy = serializers.ChoiceField(choices=STRATEGIES)
    items = RecommendedItemSerializer(many=True)
    fallback = serializers.BooleanField(
        help_text="True when the items are popularity because the strategy had no "
        "evidence (new visitor, unknown product or segment)."
    )


class RecommenderModelSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    n_users = serializers.IntegerField()
    n_items = serializers.IntegerField()
    n_events = serializers.IntegerField()
    training_seconds = serializers.FloatField(allow_null=True)
    metrics = serializers.DictField()
    error = serializers.CharField()


class StrategyCtrSerializer(serializers.Serializer):
    strategy = serializers.CharField()
    impressions = serializers.IntegerField()
    clicks = serializers.IntegerField()
    ctr = serializers.FloatField(allow_null=True)


class TrainQueuedSerializer(serializers.Serializer):
    queued = serializers.BooleanField()
