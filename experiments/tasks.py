"""Celery tasks of experiments: thin wrappers over services."""

from celery import shared_task

from experiments import services
from experiments.models import Experiment


@shared_task(acks_late=True, max_retries=3, default_retry_delay=30)
def compute_results_task(experiment_id: int) -> str:
    return services.compute_results(experiment_id=experiment_id).decision


@shared_task(acks_late=True)
def compute_running_results_task() -> list[int]:
    ids = list(
        Experiment.objects.filter(status=Experiment.Status.RUNNING).values_list("pk", flat=True)
    )
    for experiment_id in ids:
        compute_results_task.delay(experiment_id)
    return ids
