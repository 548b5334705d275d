"""The real-time evaluator and the SQL compiler agree on every context-free rule.

A fixed population of visitors is built through the real ingest path; hypothesis then
generates rules over the profile, attributes and event windows, and each rule's members
by SQL must equal the visitors the compiled real-time rule accepts.
"""

import random
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import pinned_instant
from segments.conditions import Facts, InMemoryEventWindows, compile_rule
from segments.sql import NotMaterializable, SqlRuleCompiler, members_queryset
from tracking.models import Event, VisitorProfile
from tracking.profile_state import profile_document
from tracking.selectors import profile_settings, state_from_model
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db
COVERAGE: Counter = Counter()
NOW = pinned_instant()  # the tests' clock (conftest.py), not the machine's
CATEGORIES = ["outdoor/tents", "outdoor/boots", "home/lighting", "kitchen"]
TYPES = ["page_view", "product_view", "search", "add_to_cart", "checkout_start", "purchase"]
TIERS = ["gold", "silver", "none", 3, True]


def _population(seed: int = 7, visitors: int = 40) -> None:
    rng = random.Random(seed)
    for index in range(visitors):
        vid = f"p{index}"
        events = []
        for _ in range(rng.randint(0, 14)):
            event_type = rng.choice(TYPES)
            at = NOW - timedelta(minutes=rng.choice([5, 20, 45, 90, 600, 3000, 20000, 200000]))
            category = rng.choice(CATEGORIES)
            price = rng.choice([5, 19.5, 120, 480])
            properties: dict = {"product_id": f"SKU{rng.randint(1, 9)}", "category": category}
            if event_type in {"product_view", "add_to_cart"}:
                properties["price"] = price
            if event_type == "search":
                properties = {"query": "tent", "category": category}
            if event_type == "purchase":
                properties = {
                    "order_id": f"o{index}-{len(events)}",
                    "revenue": rng.choice([20, 150.5, 600]),
                    "items": [{"product_id": "SKU1", "price": price, "category": category}],
                }
            if event_type == "checkout_start":
                properties = {}
            events.append(
                {
                    "type": event_type,
                    "visitor_id": vid,
                    "timestamp": at.isoformat(),
                    "properties": properties,
                    "context": {"device": rng.choice(["mobile", "desktop"]), "country": "DE"},
                }
            )
        if events:
            ingest_events(events, now=NOW)
        else:
            VisitorProfile.objects.create(visitor_id=vid, bucketing_id=vid)
        attributes = {}
        if rng.random() < 0.7:
            attributes["tier"] = rng.choice(TIERS)
        if rng.random() < 0.5:
            attributes["tags"] = rng.sample(["a", "b", "vip", 1], k=rng.randint(0, 3))
        if rng.random() < 0.5:
            attributes["age"] = rng.choice([19, 33, 47.5, "unknown"])
        VisitorProfile.objects.filter(visitor_id=vid).update(
            attributes=attributes,
            rfm_r=rng.choice([None, 1, 3, 5]),
            rfm_f=rng.randint(1, 5),
            rfm_m=rng.randint(1, 5),
        )


numbers = st.one_of(
    st.sampled_from([0, 1, 2, 3, 5, 20, 30, 150, 150.5, 500, 0.5, 2.5]),
    st.integers(-2, 700),
    st.floats(-1, 700, allow_nan=False),
)
scalars = st.one_of(
    st.sampled_from(["gold", "silver", "mobile", "DE", "vip", "a", "champions"]),
    numbers,
    st.booleans(),
)
PROFILE_FIELDS = [
    "profile.orders",
    "profile.revenue",
    "profile.sessions",
    "profile.events",
    "profile.average_order_value",
    "profile.known",
    "profile.engagement",
    "profile.cart.items",
    "profile.cart.value",
    "profile.flags.cart_abandoned",
    "profile.flags.high_intent",
    "profile.flags.known",
    "profile.rfm.recency_days",
    "profile.rfm.frequency",
    "profile.rfm.monetary",
    "profile.rfm.r",
    "profile.rfm.label",
    "profile.rfm.score",
    "profile.interest.outdoor",
    "profile.interest.outdoor/tents",
    "profile.interest.kitchen",
    "profile.counters.product_view",
    "profile.counters.purchase",
    "profile.last_context.device",
    "profile.last_context.country",
    "attributes.tier",
    "attributes.tags",
    "attributes.age",
]
OPS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "startswith", "exists"]


@st.composite
def field_leaf(draw):
    field = draw(st.sampled_from(PROFILE_FIELDS))
    op = draw(st.sampled_from(OPS))
    if op == "exists":
        value = draw(st.booleans())
    elif op in {"in", "not_in"}:
        value = draw(st.lists(scalars, min_size=1, max_size=4))
    elif op in {"lt", "lte", "gt", "gte"}:
        value = draw(numbers)
    elif op == "startswith":
        value = draw(st.sampled_from(["g", "mob", "champ", "D", "x"]))
    else:
        value = draw(scalars)
    return {"field": field, "op": op, "value": value}


@st.composite
def events_leaf(draw):
    spec = {
        "type": draw(st.sampled_from(TYPES)),
        "within": draw(st.sampled_from(["30m", "1h", "1d", "30d", "365d"])),
    }
    if draw(st.booleans()):
        spec["where"] = {
            "category": {
                draw(st.sampled_from(["startswith", "eq", "ne"])): draw(
                    st.sampled_from(["outdoor/", "kitchen", "home/lighting"])
                )
            }
        }
    agg = draw(st.sampled_from(["count", "count", "sum", "max", "min"]))
    if agg != "count":
        spec["agg"] = agg
        spec["property"] = draw(st.sampled_from(["revenue", "price"]))
    op = draw(st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "exists"]))
    if op == "exists":
        value = draw(st.booleans())
    elif op in {"in", "not_in"}:
        value = draw(st.lists(numbers, min_size=1, max_size=3))
    else:
        value = draw(numbers)
    return {"events": spec, "op": op, "value": value}


rules = st.recursive(
    st.one_of(field_leaf(), events_leaf()),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda c: {"all": c}),
        st.lists(children, min_size=1, max_size=3).map(lambda c: {"any": c}),
        children.map(lambda c: {"not": c}),
    ),
    max_leaves=5,
)


@pytest.fixture(scope="module")
def population(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            _population()
            cfg = profile_settings()
            facts = {}
            for profile in VisitorProfile.objects.all():
                state = state_from_model(profile)
                events = [
                    {"type": e.type, "timestamp": e.timestamp, "properties": e.properties}
                    for e in Event.objects.filter(visitor_id=profile.visitor_id)
                ]
                facts[profile.visitor_id] = Facts(
                    profile=profile_document(state, NOW, cfg, exact=True),
                    attributes=state.attributes,
                    events=InMemoryEventWindows(events, now=NOW),
                )
            yield facts
            transaction.set_rollback(True)


@settings(
    derandomize=True,
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rule=rules)
# Found by CI on PostgreSQL: an integer column must not round the rule's 0.5 to 0.
@example(rule={"field": "profile.orders", "op": "eq", "value": 0.5})
@example(rule={"field": "profile.orders", "op": "in", "value": [0.5, 7]})
def test_sql_and_real_time_evaluators_agree(population, django_db_blocker, rule):
    compiled = compile_rule(rule)
    compiler = SqlRuleCompiler(
        now=NOW, settings=profile_settings(), rule_segments={}, materialized_segments={}
    )
    try:
        condition = compiler.compile(rule)
    except NotMaterializable:
        COVERAGE["real_time_only"] += 1
        return
    with django_db_blocker.unblock():
        by_sql = set(members_queryset(condition).values_list("visitor_id", flat=True))
    in_real_time = {vid for vid, facts in population.items() if compiled(facts)}
    assert by_sql == in_real_time, (rule, sorted(by_sql ^ in_real_time))
    COVERAGE["compared"] += 1
    COVERAGE["split"] += 0 < len(in_real_time) < len(population)


def test_the_generated_rules_split_the_population():
    """Guards the property test against comparing only trivial (all/none) rules."""
    assert COVERAGE["compared"] >= 200
    assert COVERAGE["split"] >= 0.15 * COVERAGE["compared"], dict(COVERAGE)
