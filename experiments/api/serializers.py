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
    # A placement key, a page's personalized block (`block:<page id>:<block id>`) or a
    # page's body, its arms naming its page variants (`page:<page id>`).
    placement = serializers.RegexField(
        r"\A(?:[A-Za-z0-9_-]{1,100}|block:[0-9]{1,12}:[A-Za-z0-9-]{1,64}|page:[0-9]{1,12})\Z"
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


def _number() -> serializers.FloatField:
    # Unbounded interval ends and missing estimates are null (JSON has no infinity).
    return serializers.FloatField(allow_null=True)


class ArmResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    exposures = serializers.IntegerField()
    conversions = serializers.IntegerField()
    rate = _number()
    rate_low = _number()
    rate_high = _number()
    revenue_per_visitor = _number()
    revenue_low = _number()
    revenue_high = _number()
    is_control = serializers.BooleanField()
    lift = _number()
    lift_low = _number()
    lift_high = _number()
    p_value = _number()
    p_value_adjusted = _number()
    always_valid_p = _number()
    always_valid_p_adjusted = _number()
    revenue_p_value = _number()
    chance_to_beat_control = _number()
    expected_loss = _number()
    likelihood_ratio = _number()
    chance_best = _number()


class GuardrailArmSerializer(serializers.Serializer):
    key = serializers.CharField()
    exposures = serializers.IntegerField()
    visitors = serializers.IntegerField(help_text="Exposed visitors with the event after.")
    rate = _number()
    rate_low = _number()
    rate_high = _number()
    is_control = serializers.BooleanField()
    difference = _number()
    difference_low = _number()
    difference_high = _number()
    always_valid_p = _number()
    harmed = serializers.BooleanField()


class GuardrailResultSerializer(serializers.Serializer):
    event = serializers.CharField()
    harm = serializers.ChoiceField(choices=["increase", "decrease"])
    harmed_arms = serializers.ListField(child=serializers.CharField())
    arms = GuardrailArmSerializer(many=True)


class SrmSerializer(serializers.Serializer):
    flag = serializers.BooleanField()
    chi2 = _number()
    p_value = _number()


class AllocationSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    weights = serializers.DictField(child=serializers.IntegerField())
    started_at = serializers.DateTimeField(allow_null=True)
    exposures = serializers.DictField(child=serializers.IntegerField())


class ExperimentResultsSerializer(serializers.Serializer):
    """`GET /experiments/{key}/results`: the latest analysis (`current_results`)."""

    experiment = serializers.CharField()
    status = serializers.CharField()
    control = serializers.CharField()
    computed_at = serializers.DateTimeField()
    decision = serializers.CharField(help_text="keep_running, no_difference or winner:<arm>")
    srm = SrmSerializer()
    srm_flag = serializers.BooleanField()
    sample_size_per_arm = serializers.IntegerField(allow_null=True)
    notes = serializers.ListField(child=serializers.CharField())
    arms = ArmResultSerializer(many=True)
    always_valid = serializers.DictField(child=serializers.FloatField())
    adaptive = serializers.BooleanField()
    estimator = serializers.CharField()
    guardrails = GuardrailResultSerializer(many=True)
    guardrails_always_valid = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField())
    )
    allocations = AllocationSerializer(many=True, required=False)
