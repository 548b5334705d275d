"""Decision reasons are values (kind + segment or experiment keys), shown as the API's
strings only at the edge; placeholders read the segments from the value, never from a
parsed label."""

from datetime import UTC, datetime

import pytest

from content import reasons
from content.reasons import DecisionReason, ReasonKind
from content.targeting import VariantTarget, choose_variant
from content.tests.factories import component, placement
from experiments.services import experiment_create, experiment_start
from personalization.services import decide
from segments.conditions import Facts
from segments.services import segment_save
from tracking.services import ingest_events

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_labels_are_the_api_strings():
    assert [
        str(reason)
        for reason in (
            reasons.FALLBACK,
            reasons.DEFAULT,
            reasons.CONTEXT,
            DecisionReason.segment("outdoor-fans"),
            DecisionReason.all_segments(frozenset({"vip", "berlin"})),
            DecisionReason.experiment_arm("hero-test"),
            reasons.TRIGGER,
        )
    ] == [
        "fallback",
        "default",
        "context",
        "segment:outdoor-fans",
        "segments:berlin+vip",
        "experiment:hero-test",
        "trigger",
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": ReasonKind.SEGMENT},
        {"kind": ReasonKind.SEGMENT, "segments": ("a", "b")},
        {"kind": ReasonKind.EXPERIMENT},
        {"kind": ReasonKind.EXPERIMENT, "experiment": "x", "segments": ("a",)},
        {"kind": ReasonKind.FALLBACK, "segments": ("a",)},
    ],
)
def test_a_reason_cannot_carry_keys_of_the_wrong_kind(kwargs):
    with pytest.raises(ValueError):
        DecisionReason(**kwargs)


def test_an_experiment_reason_names_no_segment():
    reason = DecisionReason.experiment_arm("spring-sale")
    assert reason.segments == () and reason.experiment == "spring-sale"


def test_choose_variant_returns_typed_reasons():
    variants = [
        VariantTarget("all", 1, 30, 0, False, segments_all=frozenset({"vip", "berlin"})),
        VariantTarget("any", 2, 20, 1, False, segments_any=frozenset({"fans", "buyers"})),
        VariantTarget("base", 3, 0, 2, True),
    ]
    facts = Facts(context={})
    assert choose_variant(variants, frozenset({"vip", "berlin"}), facts, NOW)[1] == (
        DecisionReason(ReasonKind.SEGMENTS, segments=("berlin", "vip"))
    )
    assert choose_variant(variants, frozenset({"fans", "buyers"}), facts, NOW)[1] == (
        DecisionReason.segment("buyers")
    )
    assert choose_variant(variants, frozenset(), facts, NOW)[1] is reasons.FALLBACK


@pytest.mark.django_db(transaction=True)
def test_an_experiment_arm_takes_segment_values_from_the_visitors_own_segments(settings):
    """An experiment that shares its key with a segment the visitor is not in: the arm's
    discount code must come from the visitor's segment, not from the namesake (the old
    code read `experiment:spring-sale` as the segment `spring-sale`)."""
    settings.PZ_MIN_SEGMENT_SIZE = 1
    segment_save(
        key="spring-sale",
        name="Spring sale",
        rule={"field": "profile.orders", "op": "gt", "value": 100},
        placeholder_values={"discount_code": "SPRING50"},
    )
    segment_save(
        key="buyers",
        name="Buyers",
        rule={"field": "profile.orders", "op": "gt", "value": 0},
        placeholder_values={"discount_code": "BUYER5"},
    )
    code = "{{ segment.discount_code|default:'NONE' }}"
    placement(
        "home-offer",
        [
            {
                "key": "a",
                "component": component("offer-a", kind="offer", code=code),
                "is_fallback": True,
            },
            {
                "key": "b",
                "component": component("offer-b", kind="offer", code=code),
                "priority": 10,
                "context_rule": {"field": "context.device", "op": "eq", "value": "never"},
            },
        ],
    )
    experiment = experiment_create(
        key="spring-sale",
        name="Spring sale offer",
        placement_key="home-offer",
        arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
    )
    experiment_start(experiment=experiment)
    ingest_events(
        [{"type": "purchase", "visitor_id": "v1", "properties": {"order_id": "1", "revenue": 9}}]
    )

    shown = decide(visitor_id="v1", placement_keys=["home-offer"], context={}).placements[
        "home-offer"
    ]

    assert shown.reason == DecisionReason.experiment_arm("spring-sale")
    assert shown.as_response()["reason"] == "experiment:spring-sale"
    assert shown.data["code"] == "BUYER5"
