from rest_framework import serializers

from core.permissions import visible_count
from segments.api.rule_docs import rule_fields_markdown
from segments.models import Segment
from tracking.rule_fields import BUILTIN_REGISTRY

# The built-in fields; deployments with field providers list theirs at /api/v1/rule-fields.
RULE_HELP = rule_fields_markdown(BUILTIN_REGISTRY)


class SegmentListSerializer(serializers.ModelSerializer):
    """A segment as the requesting user may see it: pass `context={"request": request}`;
    without a request, sizes below the minimum are suppressed."""

    parent = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)
    updated_at = serializers.SerializerMethodField()
    too_small = serializers.SerializerMethodField()
    size = serializers.SerializerMethodField()
    suppressed = serializers.SerializerMethodField(
        help_text="True when `size` is null because it is below PZ_MIN_SEGMENT_SIZE and "
        "the caller may not view visitor data."
    )

    class Meta:
        model = Segment
        fields = [
            "key",
            "name",
            "kind",
            "size",
            "suppressed",
            "updated_at",
            "description",
            "parent",
            "is_active",
            "real_time_only",
            "too_small",
            "last_computed_at",
        ]

    def get_updated_at(self, segment: Segment) -> str:
        latest = max(filter(None, [segment.updated_at, segment.last_computed_at]))
        return latest.isoformat()

    def _size(self, segment: Segment) -> tuple[int | None, bool]:
        request = self.context.get("request")
        return visible_count(segment.size, request.user if request else None)

    def get_size(self, segment: Segment) -> int | None:
        return self._size(segment)[0]

    def get_suppressed(self, segment: Segment) -> bool:
        return self._size(segment)[1]

    def get_too_small(self, segment: Segment) -> bool:
        from segments.selectors import too_small

        return too_small(segment)


class SegmentDetailSerializer(SegmentListSerializer):
    class Meta(SegmentListSerializer.Meta):
        fields = [
            *SegmentListSerializer.Meta.fields,
            "rule",
            "recompute_every_minutes",
            "placeholder_values",
            "last_compute_ms",
        ]


class SegmentInputSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Segment.Kind.values, default=Segment.Kind.RULE)
    rule = serializers.JSONField(required=False, allow_null=True, default=None, help_text=RULE_HELP)
    parent = serializers.SlugField(max_length=100, required=False, allow_null=True, default=None)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    recompute_every_minutes = serializers.IntegerField(
        min_value=1, max_value=60 * 24 * 30, default=60
    )
    placeholder_values = serializers.DictField(
        child=serializers.CharField(max_length=500), required=False, default=dict
    )
    is_active = serializers.BooleanField(default=True)


class RulePreviewSerializer(serializers.Serializer):
    rule = serializers.JSONField(help_text=RULE_HELP)
    parent = serializers.SlugField(max_length=100, required=False, allow_null=True, default=None)


class MemberSerializer(serializers.Serializer):
    visitor_id = serializers.CharField()
    since = serializers.DateTimeField(source="entered_at")


class RecomputeQueuedSerializer(serializers.Serializer):
    segment = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued"])
    task_id = serializers.CharField(allow_null=True)


class RulePreviewResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        allow_null=True, help_text="Null when suppressed or the rule is real-time only."
    )
    suppressed = serializers.BooleanField()
    real_time_only = serializers.BooleanField()


class SegmentOverlapSerializer(serializers.Serializer):
    """Sizes of two segments and their intersection; small counts are null for roles
    that see aggregates only (named in `suppressed`, the Jaccard index with them)."""

    a = serializers.CharField()
    b = serializers.CharField()
    size_a = serializers.IntegerField(allow_null=True)
    size_b = serializers.IntegerField(allow_null=True)
    both = serializers.IntegerField(allow_null=True)
    only_a = serializers.IntegerField(allow_null=True)
    only_b = serializers.IntegerField(allow_null=True)
    jaccard = serializers.FloatField(allow_null=True)
    suppressed = serializers.ListField(child=serializers.CharField())
