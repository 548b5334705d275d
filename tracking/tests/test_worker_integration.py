"""Tasks run on the real Celery worker CI starts (PostgreSQL/Redis/RabbitMQ)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tracking.models import RfmScale, VisitorProfile
from tracking.tasks import refresh_rfm_scores_task

pytestmark = pytest.mark.services


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_rfm_refresh_runs_on_a_real_worker(celery_worker_app):
    now = timezone.now()
    for index in range(5):
        VisitorProfile.objects.create(
            visitor_id=f"w{index}",
            bucketing_id=f"w{index}",
            orders=index + 1,
            revenue=10.0 * (index + 1),
            last_purchase_at=now - timedelta(days=index),
        )
    result = refresh_rfm_scores_task.delay()
    assert result.id
    assert wait_for(lambda: RfmScale.objects.filter(customers=5).exists())
    assert wait_for(lambda: VisitorProfile.objects.get(visitor_id="w4").rfm_f == 5)
