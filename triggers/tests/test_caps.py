"""Frequency and daily caps hold under duplicate and concurrent events."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from triggers import services
from triggers.models import Firing
from triggers.services import Entry
from triggers.tests.factories import known_visitor, webhook_trigger

pytestmark = pytest.mark.time_sensitive


def segment_trigger(**fields):
    from segments.models import Segment
    from triggers.models import Trigger

    segment = Segment.objects.create(key="nudged", name="Nudged", kind=Segment.Kind.STATIC)
    return Trigger.objects.create(
        key="nudge",
        name="Nudge",
        enabled=True,
        entry_event="add_to_cart",
        action=Trigger.Action.SEGMENT_ADD,
        segment=segment,
        **fields,
    )


def fire(trigger, key: str, now):
    return services.decide_and_fire(
        trigger=trigger,
        visitor_id="v1",
        occurrence_key=key,
        entry=Entry(1, now),
        now=now,
    )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_occurrences_fire_once():
    if connection.vendor == "sqlite":
        # The shared-cache in-memory test database answers a lock conflict with an error
        # instead of waiting (a file database waits); CI runs this on PostgreSQL.
        pytest.skip("needs a database whose writers wait for locks")
    known_visitor()
    trigger = segment_trigger()
    now = timezone.now()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(key: str) -> None:
        try:
            barrier.wait()
            fire(trigger, key, now)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"event:{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # The later decision waited for the earlier one's lock, then read its firing: capped,
    # so like any capped immediate occurrence it leaves no row.
    statuses = sorted(Firing.objects.values_list("status", flat=True))
    assert statuses == ["fired"]
    from segments.models import SegmentMembership

    assert SegmentMembership.objects.filter(visitor_id="v1", left_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_the_same_occurrence_twice_is_one_row():
    known_visitor()
    trigger = segment_trigger(frequency_cap_count=0)
    now = timezone.now()
    assert fire(trigger, "event:1", now).status == Firing.Status.FIRED
    assert fire(trigger, "event:1", now) is None
    assert Firing.objects.count() == 1


@pytest.mark.django_db
def test_frequency_cap_frees_up_after_its_period():
    known_visitor()
    trigger = segment_trigger(frequency_cap_count=1, frequency_cap_seconds=3600)
    now = timezone.now()
    assert fire(trigger, "event:1", now).status == "fired"
    assert fire(trigger, "event:2", now + timedelta(minutes=30)) is None  # capped: no row
    assert fire(trigger, "event:3", now + timedelta(minutes=61)).status == "fired"


@pytest.mark.django_db
def test_daily_cap_counts_all_visitors():
    trigger = webhook_trigger("http://127.0.0.1:9/", daily_cap=1, frequency_cap_count=0)
    now = timezone.now()
    known_visitor("a")
    known_visitor("b")
    first = services.decide_and_fire(
        trigger=trigger, visitor_id="a", occurrence_key="x", entry=None, now=now
    )
    second = services.decide_and_fire(
        trigger=trigger, visitor_id="b", occurrence_key="x", entry=None, now=now
    )
    assert first.status == "fired"
    assert second is None
    assert services.dry_run(trigger=trigger, visitor_id="b")["reason"].startswith("daily cap")


@pytest.mark.django_db
def test_a_row_another_decision_wrote_first_is_skipped_by_the_batch_insert():
    from triggers.services.decisions import insert_firings

    trigger = segment_trigger()
    now = timezone.now()
    services.start_waits([services.Occurrence(trigger, "v1", "event:1", Entry(1, now))], now=now)

    def row(visitor_id: str, key: str, status: str) -> Firing:
        return Firing(
            trigger=trigger,
            visitor_id=visitor_id,
            occurrence_key=key,
            status=status,
            entry_at=now,
            due_at=now,
            decided_at=now,
            result={"action": {"segment": "nudged"}},
        )

    inserted = insert_firings(
        [
            row("v1", "event:1", "fired"),  # the same occurrence
            row("v1", "event:2", "pending"),  # a second wait of the visitor
            row("v2", "event:3", "fired"),
        ]
    )

    assert [(f.visitor_id, f.occurrence_key) for f in inserted] == [("v2", "event:3")]
    stored = Firing.objects.get(pk=inserted[0].pk)
    assert (stored.status, stored.result, stored.decided_at) == (
        "fired",
        {"action": {"segment": "nudged"}},
        now,
    )
    assert Firing.objects.get(visitor_id="v1").status == "pending"


@pytest.mark.django_db
def test_deleting_a_trigger_deletes_its_firings_and_their_pop_up():
    """The firing log has no database foreign keys (their checks at commit were a
    fifth of a firing batch's): Django's cascade deletes it with its trigger."""
    from content.tests.factories import component
    from triggers.models import PendingMessage

    known_visitor()
    trigger = segment_trigger()
    now = timezone.now()
    firing = fire(trigger, "event:1", now)
    PendingMessage.objects.create(
        visitor_id="v1",
        trigger=trigger,
        firing=firing,
        component=component("come-back"),
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )

    trigger.delete()

    assert not Firing.objects.exists()
    assert not PendingMessage.objects.exists()


@pytest.mark.django_db
def test_control_firings_do_not_use_up_the_daily_cap_within_a_batch():
    """Today's cap counts sends: a batch's control-group firings leave its slots free."""
    from triggers.models import TriggerDayCount

    trigger = segment_trigger(daily_cap=1, frequency_cap_count=0, control_share=1.0)
    now = timezone.now()
    known_visitor("a")
    known_visitor("b")
    decided = services.decide_occurrences(
        occurrences=[
            services.Occurrence(trigger, visitor, "event:1", Entry(1, now)) for visitor in "ab"
        ],
        now=now,
    )

    assert sorted(firing.status for firing in decided) == ["control", "control"]
    assert TriggerDayCount.objects.get(trigger=trigger).fired == 0
