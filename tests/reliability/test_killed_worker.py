"""A worker killed in the middle of a task loses nothing: the task is acknowledged only
after it finished (acks_late), so the broker redelivers it when the dead worker's
connection drops, and another worker completes it exactly once.

Needs PostgreSQL and RabbitMQ (CI); the test runs workers of its own on a private queue
and kills one with SIGKILL, as the OOM killer or a lost node would."""

from contextlib import closing

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from segments.models import Segment, SegmentMembership, SegmentSizeSnapshot
from segments.tasks import recompute_segment_task
from tests.reliability.conftest import wait_until
from tracking.models import VisitorProfile

pytestmark = pytest.mark.services

VISITORS = 3000
BUYERS = 1000  # every third visitor has ordered


def _task_blocked_on_segment_row() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE '%%segments_segment%%'"
        )
        return cursor.fetchone()[0] > 0


def _other_backends_gone() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        return cursor.fetchone()[0] == 0


def test_a_task_cut_off_by_a_killed_worker_completes_once_on_another(celery_workers, settings):
    # Given a rule segment never computed and enough visitors to materialize.
    now = timezone.now()
    VisitorProfile.objects.bulk_create(
        [
            VisitorProfile(
                visitor_id=f"kw-{index:05d}",
                bucketing_id=f"kw-{index:05d}",
                orders=1 if index % 3 == 0 else 0,
                last_purchase_at=now if index % 3 == 0 else None,
            )
            for index in range(VISITORS)
        ],
        batch_size=1000,
    )
    # Created directly: segment_save would queue its own recompute.
    segment = Segment.objects.create(
        key="buyers", name="Buyers", rule={"field": "profile.orders", "op": "gt", "value": 0}
    )
    # A second connection holds the segment row, as a slow transaction would: the task
    # then stops after writing the memberships and the snapshot, before it commits.
    settings_dict = connection.settings_dict
    blocker = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"] or "postgres",
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
    )
    with closing(blocker):
        blocker.execute("SELECT id FROM segments_segment WHERE id = %s FOR UPDATE", [segment.pk])
        first = celery_workers.start()
        result = recompute_segment_task.apply_async(args=[segment.pk], queue=celery_workers.queue)
        assert wait_until(_task_blocked_on_segment_row, timeout=60), celery_workers.log()
        assert f"{result.id}] received" in celery_workers.log()

        # When the worker dies mid-task (main process and pool child, SIGKILL).
        celery_workers.kill(first)
        blocker.rollback()

    # Then the broker redelivers the unacknowledged task to a new worker, which completes it.
    celery_workers.start()
    assert wait_until(
        lambda: Segment.objects.filter(pk=segment.pk, last_computed_at__isnull=False).exists(),
        timeout=60,
    ), celery_workers.log()
    assert wait_until(lambda: f"{result.id}] succeeded" in celery_workers.log(), timeout=10)
    assert wait_until(_other_backends_gone, timeout=10)

    # Exactly once: one success, one snapshot, every buyer a member once; nothing from
    # the killed attempt survived.
    log = celery_workers.log()
    assert log.count(f"{result.id}] succeeded") == 1, log
    segment.refresh_from_db()
    assert segment.size == BUYERS
    members = SegmentMembership.objects.filter(segment=segment)
    assert members.count() == BUYERS
    assert members.filter(left_at__isnull=True).values("visitor_id").distinct().count() == BUYERS
    snapshots = SegmentSizeSnapshot.objects.filter(segment=segment)
    assert [(s.size, s.entered, s.left) for s in snapshots] == [(BUYERS, BUYERS, 0)]
    # And nothing is left in the queue to run it again.
    celery_workers.stop_all()
    assert celery_workers.ready_messages() == 0
