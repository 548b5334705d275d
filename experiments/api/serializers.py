from rest_framework import serializers

from experiments.models import Experiment


class ArmInputSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=50)
    variant = serializers.SlugField(max_length=50)
    weight = serializers.IntegerField(min_value=1, max_value=10_000, default=50)
    control = serializers.BooleanField(required=False, default=False)


class GoalSerializer(serializers.Serializer):
    event = serializers.CharField(max_length=32)
    placement = serializers.CharField(max_length=100, required=False, allow_blank=True)
    revenue = serializers.BooleanField(required=False, default=True)


class ExperimentInputSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200, required=False)
    # A placement key, or a page's personalized block (`block:<page id>:<block id>`).
    placement = serializers.RegexField(
        r"\A(?:[A-Za-z0-9_-]{1,100}|block:[0-9]{1,12}:[A-Za-z0-9-]{1,64})\Z"
    )
    arms = ArmInputSerializer(many=True, min_length=2, max_length=10)
    traffic = serializers.FloatField(min_value=0.0001, max_value=1.0, default=1.0)
    segments = serializers.ListField(child=serializers.SlugField(), required=False, default=list)
    goal = GoalSerializer(required=False)
    layer = serializers.SlugField(required=False, allow_null=True, default=None)
    hypothesis = serializers.CharField(required=False, allow_blank=True, default="")
    minimum_detectable_effect = serializers.FloatField(min_value=0.001, max_value=10, default=0.1)
    adaptive = serializers.BooleanField(default=False)
    cuped = serializers.BooleanField(
        default=True, help_text="Report CUPED-adjusted lifts (pre-period revenue and orders)."
    )
    guardrail_events = serializers.ListField(
        child=serializers.CharField(), required=False, default=list
    )


class ExperimentSerializer(serializers.ModelSerializer):
    placement = serializers.CharField(source="target_key", read_only=True)
    layer = serializers.SlugRelatedField(slug_field="key", read_only=True)
    segments = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    arms = serializers.SerializerMethodField()
    goal = serializers.SerializerMethodField()

    class Meta:
        model = Experiment
        fields = [
            "key",
            "name",
            "placement",
            "status",
            "traffic",
            "layer",
            "segments",
            "arms",
            "goal",
            "adaptive",
            "cuped",
            "started_at",
            "stopped_at",
            "winner",
            "minimum_detectable_effect",
            "guardrail_events",
        ]

    def get_arms(self, experiment: Experiment) -> list[dict]:
        return [
            {"key": a.key, "variant": a.variant_key, "weight": a.weight, "control": a.is_control}
            for a in experiment.arms.all()
        ]

    def get_goal(self, experiment: Experiment) -> dict:
        return {
            "event": experiment.goal_event,
            "placement": experiment.goal_placement or None,
            "revenue": experiment.revenue_metric,
        }


class TrafficSerializer(serializers.Serializer):
    traffic = serializers.FloatField(min_value=0.0001, max_value=1.0)


class PromoteSerializer(serializers.Serializer):
    arm = serializers.SlugField(max_length=50)
    override_reason = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why to promote an arm that harms a guardrail metric (required then; logged).",
    )
