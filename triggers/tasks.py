"""Celery tasks of triggers: take ids, call services."""

from celery import shared_task

from triggers import services


@shared_task(acks_late=True, max_retries=3, default_retry_delay=5)
def handle_events_task(
    visitor_ids: list[str],
    event_types: list[str],
    sent_types: dict[str, list[str]] | None = None,
) -> int:
    return len(
        services.handle_ingested(
            visitor_ids=visitor_ids, event_types=event_types, sent_types=sent_types
        )
    )


@shared_task(acks_late=True, max_retries=3, default_retry_delay=5)
def check_firings_task(firing_ids: list[int]) -> int:
    return len(services.check_firings(firing_ids=firing_ids))


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_firing_task(self, firing_id: int) -> bool:  # type: ignore[no-untyped-def]
    outcome = services.deliver(firing_id=firing_id, attempt=self.request.retries + 1)
    if outcome.retry_in is not None:
        if self.request.is_eager:
            # Eager mode propagates Retry instead of re-running: run the next attempt inline.
            retries = self.request.retries + 1
            return deliver_firing_task.apply(args=[firing_id], retries=retries).result
        raise self.retry(countdown=outcome.retry_in)
    return outcome.delivered


@shared_task(acks_late=True)
def process_due_firings_task() -> int:
    return services.process_due_firings()


@shared_task(acks_late=True)
def run_sweeps_task() -> int:
    return services.run_sweeps()


@shared_task(acks_late=True, max_retries=3, default_retry_delay=5)
def record_redemptions_task(visitor_ids: list[str]) -> int:
    from triggers.services.coupons import record_redemptions

    return record_redemptions(visitor_ids=visitor_ids)
