"""A batch works a rule out as few times as it can: a rule reading the entry event is
compiled once per distinct entry value, and triggers with equal rules evaluate them once
per visitor and entry event; every trigger still gets its own verdict."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tracking.services import ingest_events
from tracking.tests.factories import iso, make_event
from triggers import selectors
from triggers.models import Firing, Trigger
from triggers.services import decisions
from triggers.tests.factories import email_trigger, known_visitor

pytestmark = pytest.mark.django_db

SAME_CATEGORY = {
    "events": {
        "type": "product_view",
        "within": "1h",
        "where": {"category": {"eq": "$entry.category"}},
    },
    "op": "gte",
    "value": 2,
}


def test_an_entry_rule_is_compiled_once_per_distinct_entry_value(monkeypatch):
    compiled = []
    real = selectors.compile_rule

    def counting(rule, **options):  # type: ignore[no-untyped-def]
        compiled.append(rule)
        return real(rule, **options)

    monkeypatch.setattr(selectors, "compile_rule", counting)
    trigger = Trigger(pk=1, key="same", conditions=SAME_CATEGORY)
    lamps = selectors.compiled_conditions(trigger, trigger.conditions, {"category": "lamps"})
    again = selectors.compiled_conditions(trigger, trigger.conditions, {"category": "lamps"})
    desks = selectors.compiled_conditions(trigger, trigger.conditions, {"category": "desks"})
    # 1 and True are equal keys in Python; as entry values they are told apart.
    selectors.compiled_conditions(trigger, trigger.conditions, {"category": 1})
    selectors.compiled_conditions(trigger, trigger.conditions, {"category": True})
    # Without a category the rule reads a value no property equals.
    selectors.compiled_conditions(trigger, trigger.conditions, {})

    assert lamps is again and lamps is not desks
    wheres = [rule["events"]["where"]["category"]["eq"] for rule in compiled]
    assert wheres == ["lamps", "desks", 1, True, "\x00missing"]


def test_triggers_with_equal_rules_evaluate_them_once_per_visitor_and_entry(
    monkeypatch, django_capture_on_commit_callbacks
):
    evaluated = []
    real = decisions.compiled_conditions

    def counting(trigger, rule, entry_properties=None):  # type: ignore[no-untyped-def]
        compiled = real(trigger, rule, entry_properties)

        def evaluate(facts):  # type: ignore[no-untyped-def]
            category = (entry_properties or {}).get("category")
            evaluated.append((facts.profile["visitor_id"], category))
            return compiled(facts)

        return evaluate

    monkeypatch.setattr(decisions, "compiled_conditions", counting)
    for key in ("first", "second"):
        email_trigger(
            key,
            entry_event="product_view",
            wait_seconds=0,
            cancel_event="",
            frequency_cap_count=0,
            conditions=SAME_CATEGORY,
        )
    # Another rule: evaluated on its own.
    email_trigger(
        "third",
        entry_event="product_view",
        wait_seconds=0,
        cancel_event="",
        frequency_cap_count=0,
        conditions={**SAME_CATEGORY, "value": 5},
    )
    known_visitor("v1")
    known_visitor("v2")
    now = timezone.now()
    views = [
        make_event(
            "product_view",
            visitor_id=visitor_id,
            timestamp=iso(now - timedelta(seconds=seconds)),
            properties={"product_id": "SKU-1", "category": category},
        )
        for visitor_id, category in (("v1", "lamps"), ("v2", "desks"))
        for seconds in (30, 20)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest_events(views).accepted == 4

    # One evaluation per (rule, visitor, entry event): three triggers, two rules.
    assert sorted(evaluated) == [("v1", "lamps"), ("v1", "lamps"), ("v2", "desks"), ("v2", "desks")]
    fired = sorted(Firing.objects.filter(status="fired").values_list("trigger__key", "visitor_id"))
    assert fired == [("first", "v1"), ("first", "v2"), ("second", "v1"), ("second", "v2")]
