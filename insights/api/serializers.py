"""Output shapes of the report endpoints, for the OpenAPI schema (../shared/API.md)."""

from rest_framework import serializers


class GroupSerializer(serializers.Serializer):
    visitors = serializers.IntegerField()
    conversion_rate = serializers.FloatField()
    revenue_per_visitor = serializers.FloatField()
    average_order_value = serializers.FloatField()
    orders = serializers.IntegerField()
    revenue = serializers.FloatField()


class LiftSerializer(serializers.Serializer):
    estimate = serializers.FloatField(
        allow_null=True, help_text="Relative lift: personalized / holdout - 1."
    )
    ci95 = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        min_length=2,
        max_length=2,
        help_text="95% interval on the same scale; null ends while it is unbounded.",
    )


class LiftsSerializer(serializers.Serializer):
    conversion_rate = LiftSerializer()
    revenue_per_visitor = LiftSerializer()
    average_order_value = LiftSerializer()


class UpliftSrmSerializer(serializers.Serializer):
    p_value = serializers.FloatField()
    mismatch = serializers.BooleanField()


class UpliftDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    personalized_visitors = serializers.IntegerField()
    holdout_visitors = serializers.IntegerField()
    conversion_rate = LiftSerializer(help_text="Cumulative lift up to this day.")
    revenue_per_visitor = LiftSerializer()


class UpliftSerializer(serializers.Serializer):
    holdout_share = serializers.FloatField()
    personalized = GroupSerializer()
    holdout = GroupSerializer()
    lift = LiftsSerializer()
    srm = UpliftSrmSerializer()
    always_valid_p = serializers.FloatField()
    decision = serializers.ChoiceField(
        choices=["keep_running", "personalization_wins", "holdout_wins", "no_difference"]
    )
    holdout_visitors_needed = serializers.IntegerField(allow_null=True)
    days = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    attribution = serializers.ChoiceField(choices=["visitor"])
    daily = UpliftDaySerializer(many=True)


class KpiDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    members = serializers.IntegerField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True)
    average_order_value = serializers.FloatField(allow_null=True)
    revenue_per_visitor = serializers.FloatField(allow_null=True)
    placement_ctr = serializers.FloatField(allow_null=True)
    suppressed = serializers.BooleanField()


class SegmentKpisSerializer(serializers.Serializer):
    segment = serializers.SlugField()
    days = serializers.IntegerField()
    visitors = serializers.IntegerField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True)
    average_order_value = serializers.FloatField(allow_null=True)
    revenue_per_visitor = serializers.FloatField(allow_null=True)
    placement_ctr = serializers.FloatField(allow_null=True)
    daily = KpiDaySerializer(many=True)
    suppressed = serializers.BooleanField()
    computed_at = serializers.DateTimeField(allow_null=True)
