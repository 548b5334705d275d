"""The real-time evaluator and the SQL compiler agree on every registered field and op.

A fixed population of visitors is built through the real ingest path (plus a few stored
events of shapes ingest no longer accepts). The cases iterate the field registry: every
field of `tracking.rule_fields` (and custom ones added through the extension point),
every op it allows, values taken from the population so the comparisons split it, and
event windows over order lines (`items.*`). For each rule the members by SQL must equal
the visitors the compiled real-time rule accepts, so a field added without its SQL, or
with SQL that reads something else, fails here. Hypothesis then combines them.
"""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import pinned_instant
from segments.conditions import Facts, InMemoryEventWindows, compile_rule
from segments.sql import NotMaterializable, SqlRuleCompiler, members_queryset
from segments.tests.registries import TEST_REGISTRY
from tracking.models import Event, VisitorProfile
from tracking.profile_state import profile_document
from tracking.rule_fields import BOOLEAN, DATE, NUMBER, Field, JsonKey
from tracking.selectors import profile_settings, state_from_model
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db
REGISTRY = TEST_REGISTRY
NOW = pinned_instant()  # the tests' clock (conftest.py), not the machine's
COVERAGE: Counter = Counter()
SPLIT_FIELDS: set[str] = set()
CATEGORIES = ["outdoor/tents", "outdoor/boots", "home/lighting", "kitchen"]
TYPES = ["page_view", "product_view", "search", "add_to_cart", "checkout_start", "purchase"]
PRICES = [5, 19.5, 120, 480, 2.5]
MINUTES_AGO = [5, 20, 45, 90, 600, 3000, 20000, 200000]


def _line(rng: random.Random) -> dict[str, Any]:
    line: dict[str, Any] = {
        "product_id": f"SKU{rng.randint(1, 9)}",
        "category": rng.choice(CATEGORIES),
        "price": rng.choice(PRICES),
    }
    if rng.random() < 0.6:
        line["quantity"] = rng.randint(1, 3)
    return line


def _event(rng: random.Random, vid: str, index: int) -> dict[str, Any]:
    event_type = rng.choice(TYPES)
    at = NOW - timedelta(minutes=rng.choice(MINUTES_AGO))
    category = rng.choice(CATEGORIES)
    properties: dict[str, Any] = {"product_id": f"SKU{rng.randint(1, 9)}", "category": category}
    if event_type in {"product_view", "add_to_cart"}:
        properties["price"] = rng.choice(PRICES)
    if event_type == "add_to_cart" and rng.random() < 0.5:
        properties["quantity"] = rng.randint(1, 3)
    if event_type == "search":
        properties = {"query": "tent", "category": category}
    if event_type == "purchase":
        properties = {
            "order_id": f"o{vid}-{index}",
            "revenue": rng.choice([20, 150.5, 600]),
            "items": [_line(rng) for _ in range(rng.randint(0, 3))],
        }
    if event_type == "checkout_start":
        properties = {}
    context = {
        "device": rng.choice(["mobile", "desktop", "tablet"]),
        "country": rng.choice(["DE", "GB", "FR"]),
        "city": rng.choice(["Berlin", "Leeds"]),
        "utm_source": rng.choice(["mail", "ads"]),
        "utm_medium": "email",
        "utm_campaign": rng.choice(["spring", "sale"]),
        "referrer": rng.choice(["https://news.example/a", "https://search.example/?q=tent"]),
    }
    return {
        "type": event_type,
        "visitor_id": vid,
        "timestamp": at.isoformat(),
        "properties": properties,
        "context": context,
    }


# Order lines ingest would refuse today, stored by older versions or other tools.
ODD_PURCHASES = [
    {"order_id": "odd-1", "revenue": 10, "items": "not a list"},
    {"order_id": "odd-2", "revenue": 12, "items": ["not an object", {"category": "kitchen"}]},
    {
        "order_id": "odd-3",
        "revenue": 8,
        "items": [
            {"category": "home/lighting", "price": "free", "quantity": 2},
            {"category": "home/lighting", "price": 4, "quantity": None},
            {"category": "outdoor/tents", "price": 6, "quantity": "2"},
            {"category": 7, "price": 19.5, "quantity": 2},
        ],
    },
    {"order_id": "odd-4", "revenue": 3, "items": {"category": "home/lighting", "price": 3}},
]


def _attributes(rng: random.Random) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    maybe = rng.random
    if maybe() < 0.8:
        attributes["loyalty_tier"] = rng.choice(["gold", "silver", "none", "platinum", 3, True])
    if maybe() < 0.6:
        attributes["age_band"] = rng.choice(["18-24", "25-34", "45-54"])
    if maybe() < 0.5:
        attributes["gender"] = rng.choice(["female", "male", "other"])
    if maybe() < 0.5:
        attributes["city"] = rng.choice(["Berlin", "Leeds", "Lyon"])
    if maybe() < 0.5:
        attributes["email"] = "someone@example.com"
    if maybe() < 0.3:
        attributes["first_name"] = "Ada"
    # Custom attributes of the test registry (the extension point), some of other types.
    if maybe() < 0.7:
        attributes["tier"] = rng.choice(["gold", "silver", 3])
    if maybe() < 0.5:
        attributes["zip"] = rng.choice(["10115", "20095", 10115])
    if maybe() < 0.5:
        attributes["age"] = rng.choice([19, 33, 47.5, "unknown"])
    if maybe() < 0.5:
        attributes["vip"] = rng.choice([True, False, 1])
    if maybe() < 0.4:
        attributes["signed_up"] = rng.choice(["2025-05-01", "2026-01-15T10:00:00Z"])
    return attributes


def _population(seed: int = 7, visitors: int = 60) -> None:
    rng = random.Random(seed)
    for index in range(visitors):
        vid = f"p{index}"
        events = [_event(rng, vid, n) for n in range(rng.randint(0, 14))]
        if events:
            result = ingest_events(events, now=NOW)
            assert not result.rejected, result.rejected
        else:
            VisitorProfile.objects.create(visitor_id=vid, bucketing_id=vid)
        if index < len(ODD_PURCHASES):
            Event.objects.create(
                visitor_id=vid,
                type="purchase",
                timestamp=NOW - timedelta(days=index + 1),
                received_at=NOW,
                properties=ODD_PURCHASES[index],
            )
        # Counters of event types the population above does not send (custom ones too).
        counters = VisitorProfile.objects.get(visitor_id=vid).counters
        for event_type in sorted(REGISTRY.event_type_names - set(TYPES)):
            if rng.random() < 0.4:
                counters[event_type] = rng.randint(1, 4)
        VisitorProfile.objects.filter(visitor_id=vid).update(
            counters=counters,
            attributes=_attributes(rng),
            rfm_r=rng.choice([None, 1, 2, 3, 4, 5]),
            rfm_f=rng.randint(1, 5),
            rfm_m=rng.randint(1, 5),
            customer_key=f"key-{vid}" if rng.random() < 0.4 else None,
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


def compare(population: dict[str, Facts], django_db_blocker: Any, rule: Any) -> set[str] | None:
    """Members by SQL, checked against the real-time members; None when real-time only."""
    compiled = compile_rule(rule, registry=REGISTRY)
    compiler = SqlRuleCompiler(
        now=NOW,
        settings=profile_settings(),
        rule_segments={},
        materialized_segments={},
        registry=REGISTRY,
    )
    try:
        condition = compiler.compile(rule)
    except NotMaterializable:
        COVERAGE["real_time_only"] += 1
        return None
    with django_db_blocker.unblock():
        by_sql = set(members_queryset(condition).values_list("visitor_id", flat=True))
    in_real_time = {vid for vid, facts in population.items() if compiled(facts)}
    assert by_sql == in_real_time, (rule, sorted(by_sql ^ in_real_time))
    COVERAGE["compared"] += 1
    split = 0 < len(in_real_time) < len(population)
    COVERAGE["split"] += split
    return in_real_time


# --- every registered field and op -----------------------------------------------------


def registered_fields() -> list[Field]:
    """Every field of the registry: fixed ones, families with their known keys, and the
    interest family with the population's categories (and their parents)."""
    interest = [
        REGISTRY.lookup(f"profile.interest.{key}")
        for key in ["outdoor", "outdoor/tents", "home", "home/lighting", "kitchen"]
    ]
    query = [REGISTRY.lookup("context.query.utm_term")]
    return [*REGISTRY.concrete_fields(), *interest, *query]  # type: ignore[list-item]


def _midpoints(numbers: list[float]) -> list[float]:
    ordered = sorted(set(numbers))
    between = [(a + b) / 2 for a, b in zip(ordered, ordered[1:], strict=False)]
    picks = [between[len(between) * q // 4] for q in (1, 2, 3)] if between else []
    return sorted(set(picks))


def _iso(moment: str) -> list[str]:
    parsed = datetime.fromisoformat(moment)
    return [
        parsed.astimezone(UTC).date().isoformat(),
        (parsed + timedelta(seconds=1)).astimezone(UTC).isoformat(),
        parsed.astimezone(UTC).isoformat(),
    ]


def sample_values(field: Field, op: str, observed: list[Any]) -> list[Any]:
    """Values for `op` on the field that split the population where it can be split."""
    if op == "exists":
        return [True, False]
    if field.type == BOOLEAN:
        return [True, False]
    present = [value for value in observed if value is not None]
    if field.type == NUMBER:
        numbers = [v for v in present if type(v) in (int, float)]
        thresholds = _midpoints(numbers) or [1]
        low = field.minimum if field.minimum is not None else -1
        if field.closed:
            choices = [choice.value for choice in field.choices]
            exact = sorted({v for v in numbers if v in choices})[:2] or choices[:1]
        else:
            exact = sorted(set(numbers))[:1] + sorted(set(numbers))[-1:] or [0]
        # A value no visitor has, within the field's bounds (0.5 must not round to 0).
        absent = low + 0.5 if field.minimum is not None else 0.5
        if op in ("lt", "lte", "gt", "gte"):
            return [low, *thresholds]
        if op in ("in", "not_in"):
            return [exact, [*exact, absent if not field.closed else exact[0]]]
        return [*exact, absent] if not field.closed else exact
    if field.type == DATE:
        moments = sorted(v for v in present if isinstance(v, str))
        if not moments:
            return ["2026-01-01"]
        return [*_iso(moments[len(moments) // 2]), "2026-03-04"]
    strings = sorted({v for v in present if isinstance(v, str)})
    if field.closed:
        choices = [choice.value for choice in field.choices]
        strings = [v for v in strings if v in choices] or choices[:1]
    strings = strings[:3] or ["x"]
    if op in ("in", "not_in"):
        return [strings[:2], [strings[-1]]]
    if op == "startswith":
        return sorted({value[:2] for value in strings if value[:2]})
    if op == "contains":
        return sorted({value[1:3] for value in strings if value[1:3]})
    absent = field.choices[-1].value if field.closed else "zzz"
    return [*strings, absent]


OBSERVED: dict[str, list[Any]] = {}


@pytest.fixture(scope="module")
def observed(population):
    """The population's values per registered field, read by the fields' own getters."""
    for field in registered_fields():
        OBSERVED[field.path] = [
            field.read(getattr(facts, field.source))  # type: ignore[misc]
            for facts in population.values()
        ]
    return OBSERVED


def real_time_only(field: Field, op: str) -> bool:
    """Dates stored as JSON strings (custom date attributes) are ordered in real time
    only: SQL cannot parse them exactly as Python does without failing on a bad one."""
    ordering = op in ("lt", "lte", "gt", "gte")
    return isinstance(field.sql, JsonKey) and field.type == DATE and ordering


def test_every_registered_field_and_op_agrees(population, observed, django_db_blocker):
    """One loop over the registry (not a parametrization): the values come from the
    population, which exists only once the database does."""
    compared = Counter()
    for field in registered_fields():
        for op in field.ops:
            for value in sample_values(field, op, observed[field.path]):
                members = compare(
                    population, django_db_blocker, {"field": field.path, "op": op, "value": value}
                )
                if field.sql is None:
                    assert members is None, f"{field.path} reads the request but compiled to SQL"
                    continue
                if real_time_only(field, op):
                    assert members is None
                    continue
                assert members is not None, f"{field.path} {op} {value!r} has no SQL"
                compared[field.path] += 1
                if 0 < len(members) < len(population):
                    SPLIT_FIELDS.add(field.path)
    stored = [field.path for field in registered_fields() if field.sql is not None]
    assert sorted(compared) == sorted(stored)
    unsplit = sorted(set(stored) - SPLIT_FIELDS)
    assert not unsplit, f"the population does not tell these fields' values apart: {unsplit}"


# --- event windows, with and without order lines ------------------------------------------

LIGHTING = {"items.category": {"eq": "home/lighting"}}
WINDOW_CASES: list[tuple[dict[str, Any], str, Any]] = [
    ({"where": LIGHTING}, "gte", 1),
    ({"where": LIGHTING}, "eq", 0),
    ({"where": LIGHTING}, "lt", 1),
    ({"where": LIGHTING}, "ne", 1),
    ({"where": {"items.category": {"startswith": "outdoor/"}}}, "gte", 2),
    ({"where": {"items.category": {"in": ["kitchen", "home/lighting"]}}}, "gte", 1),
    ({"where": {"items.category": {"ne": "kitchen"}}}, "gte", 1),
    ({"where": {"items.category": {"not_in": ["kitchen"]}}}, "eq", 0),
    ({"where": {"items.category": {"exists": False}}}, "gte", 1),
    ({"where": {"items.category": {"contains": "light"}}}, "gte", 1),
    ({"where": {**LIGHTING, "items.price": {"gte": 19.5}}}, "gte", 1),
    ({"where": {**LIGHTING, "items.quantity": {"gte": 2}}}, "gte", 1),
    ({"where": {"items.quantity": {"exists": False}}}, "gte", 1),
    ({"where": {"items.line_revenue": {"gt": 100}}}, "gte", 1),
    ({"where": {"items.line_revenue": {"exists": False}}}, "gte", 1),
    ({"where": {**LIGHTING, "revenue": {"gt": 100}}}, "gte", 1),
    ({"where": {"items": {"exists": True}}}, "gte", 1),
    ({"agg": "sum", "property": "items.line_revenue"}, "gt", 100),
    ({"agg": "sum", "property": "items.line_revenue", "where": LIGHTING}, "gte", 19.5),
    ({"agg": "sum", "property": "items.line_revenue", "where": LIGHTING}, "lt", 10),
    ({"agg": "sum", "property": "items.quantity"}, "gte", 3),
    ({"agg": "max", "property": "items.price", "where": LIGHTING}, "gte", 120),
    ({"agg": "max", "property": "items.price", "where": LIGHTING}, "exists", False),
    ({"agg": "min", "property": "items.price"}, "lt", 5),
    ({"agg": "min", "property": "items.line_revenue", "where": LIGHTING}, "lte", 19.5),
    ({"agg": "sum", "property": "revenue", "where": LIGHTING}, "gt", 150),
    ({"agg": "max", "property": "revenue"}, "gte", 600),
]


def test_event_windows_over_order_lines_agree(population, django_db_blocker):
    split = 0
    for spec, op, value in WINDOW_CASES:
        for within in ("1d", "30d", "365d"):
            events = {"type": "purchase", "within": within, **spec}
            members = compare(
                population, django_db_blocker, {"events": events, "op": op, "value": value}
            )
            assert members is not None
            split += 0 < len(members) < len(population)
    assert split >= len(WINDOW_CASES), "the order-line cases hardly split the population"


# --- combinations ------------------------------------------------------------------------


@st.composite
def field_leaf(draw):
    field = draw(st.sampled_from([f for f in registered_fields() if f.sql is not None]))
    op = draw(st.sampled_from(field.ops))
    value = draw(st.sampled_from(sample_values(field, op, OBSERVED.get(field.path, []))))
    return {"field": field.path, "op": op, "value": value}


numbers = st.sampled_from([0, 1, 2, 3, 5, 20, 30, 150, 150.5, 500, 0.5, 2.5])


@st.composite
def events_leaf(draw):
    spec = {
        "type": draw(st.sampled_from(TYPES)),
        "within": draw(st.sampled_from(["30m", "1h", "1d", "30d", "365d"])),
    }
    if draw(st.booleans()):
        name = draw(st.sampled_from(["category", "items.category"]))
        spec["where"] = {
            name: {
                draw(st.sampled_from(["startswith", "eq", "ne"])): draw(
                    st.sampled_from(["outdoor/", "kitchen", "home/lighting"])
                )
            }
        }
    agg = draw(st.sampled_from(["count", "count", "sum", "max", "min"]))
    if agg != "count":
        spec["agg"] = agg
        spec["property"] = draw(
            st.sampled_from(["revenue", "price", "items.price", "items.line_revenue"])
        )
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
def test_sql_and_real_time_evaluators_agree(population, observed, django_db_blocker, rule):
    compare(population, django_db_blocker, rule)


def test_the_generated_rules_split_the_population():
    """Guards the property test against comparing only trivial (all/none) rules."""
    assert COVERAGE["compared"] >= 200
    assert COVERAGE["split"] >= 0.15 * COVERAGE["compared"], dict(COVERAGE)


def test_a_field_without_sql_cannot_be_registered():
    with pytest.raises(ValueError, match="needs its SQL"):
        Field("profile.new_score", NUMBER, "New score", "Behaviour", None)
