"""The one write path of triggers: `trigger_save`, `trigger_delete` and
`trigger_set_enabled` validate and audit, whoever calls them (admin, built-ins, demo)."""

import pytest
from wagtail.models import ModelLogEntry

from triggers import services
from triggers.builtin import create_builtin_triggers
from triggers.models import Trigger
from triggers.tests.factories import email_trigger

pytestmark = pytest.mark.django_db


def log_of(trigger: Trigger) -> list[tuple[str, dict]]:
    entries = ModelLogEntry.objects.filter(object_id=str(trigger.pk)).order_by("pk")
    return [(e.action, e.data) for e in entries]


def test_builtins_are_created_through_the_write_path_and_audited():
    triggers = create_builtin_triggers(enabled=True)

    for trigger in triggers:
        [(action, data)] = log_of(trigger)
        assert action == "wagtail.create" and data["after"]["key"] == trigger.key


def test_resetting_an_edited_builtin_logs_the_edit_and_an_unchanged_one_nothing():
    create_builtin_triggers()
    Trigger.objects.filter(key="cart-abandonment").update(wait_seconds=60)

    create_builtin_triggers()

    edited = Trigger.objects.get(key="cart-abandonment")
    assert edited.wait_seconds == 30 * 60
    assert log_of(edited)[-1] == (
        "wagtail.edit",
        {"before": {"wait_seconds": 60}, "after": {"wait_seconds": 1800}},
    )
    untouched = Trigger.objects.get(key="post-purchase-cross-sell")
    assert [action for action, _ in log_of(untouched)] == ["wagtail.create"]


def test_an_invalid_trigger_is_refused_naming_the_fields():
    trigger = Trigger(
        key="bad",
        name="Bad",
        entry_event="add_to_cart",
        conditions={"field": "profile.orders", "op": "nope", "value": 1},
        action=Trigger.Action.WEBHOOK,
        webhook_url="http://127.0.0.1/hook",
    )

    with pytest.raises(services.TriggerError) as refused:
        services.trigger_save(trigger=trigger)

    assert refused.value.status_code == 400
    assert {"conditions", "webhook_url", "webhook_secret"} <= set(refused.value.fields)
    assert not Trigger.objects.exists() and not ModelLogEntry.objects.exists()


def test_a_builtin_waiting_for_its_popup_is_a_draft_that_cannot_be_enabled():
    create_builtin_triggers(enabled=True)  # no pop-up component in this database
    draft = Trigger.objects.get(key="search-without-click")
    assert not draft.enabled and draft.popup_id is None

    with pytest.raises(services.TriggerError) as refused:
        services.trigger_set_enabled(trigger=draft, enabled=True)

    assert set(refused.value.fields) == {"popup"}
    draft.refresh_from_db()
    assert not draft.enabled


def test_delete_is_audited_with_the_fields_before():
    trigger = email_trigger()
    pk = trigger.pk

    services.trigger_delete(trigger=trigger)

    assert not Trigger.objects.filter(pk=pk).exists()
    entry = ModelLogEntry.objects.get(object_id=str(pk))
    assert entry.action == "wagtail.delete" and entry.data["before"]["key"] == "cart"
