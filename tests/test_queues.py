"""Task routing to named queues (config/queues.py) and the workers that consume them."""

from datetime import UTC, datetime

import pytest

from config import queues
from config.celery import app, queue_wait

INGEST_FOLLOW_UP = [
    "segments.tasks.refresh_visitor_memberships_task",
    "triggers.tasks.handle_events_task",
    "triggers.tasks.check_firings_task",
]


def routed_queue(task_name: str) -> str:
    return app.amqp.router.route({}, task_name, (), {})["queue"].name


def test_every_task_lands_on_a_declared_queue():
    app.loader.import_default_modules()
    declared = set(queues.all_queue_names())
    names = [name for name in app.tasks if not name.startswith("celery.")]
    assert names
    for name in names:
        assert routed_queue(name) in declared, name


def test_ingest_follow_up_has_its_own_queue_and_top_priority():
    for name in INGEST_FOLLOW_UP:
        assert routed_queue(name) == queues.queue_name("ingest")
        route = app.amqp.router.route({}, name, (), {})
        assert route["priority"] >= 6
    assert routed_queue("recommendations.tasks.train_recommender_task") == queues.queue_name(
        "training"
    )


def test_messages_carry_the_route_priority_not_the_default():
    """apply_async passes the task's own priority (CELERY_TASK_DEFAULT_PRIORITY unless
    set) to the router, and an option wins over the route: the route's must be the task's."""
    app.loader.import_default_modules()
    for name in [*INGEST_FOLLOW_UP, "triggers.tasks.deliver_firing_task"]:
        task = app.tasks[name]
        sent = app.amqp.router.route(task._get_exec_options(), name, (), {})
        expected = queues.broker_priority(queues.route_of(name)[1], app.conf.broker_url)
        assert sent["priority"] == expected, name


@pytest.mark.parametrize(
    "name",
    [
        "emails.tasks.send_campaign_task",
        "email_templates.tasks.render_task",
        "triggers.email_tasks.send_one",
        "anything.tasks.deliver_message_task",
    ],
)
def test_delivery_tasks_of_other_apps_are_routed_by_name(name):
    assert routed_queue(name) == queues.queue_name("delivery")


def test_an_explicit_queue_wins_over_the_route():
    # Tests and operators may still send a task to a queue of their choosing.
    route = app.amqp.router.route({"queue": "elsewhere"}, INGEST_FOLLOW_UP[0], (), {})
    assert route["queue"].name == "elsewhere"


def test_no_pool_mixes_training_with_ingest_follow_up():
    # Every queue is consumed by exactly one pool, and training by a pool of its own.
    members = [suffix for pool in queues.WORKER_POOLS.values() for suffix in pool]
    assert sorted(members) == sorted(spec.suffix for spec in queues.QUEUES)
    assert queues.WORKER_POOLS["training"] == ("training",)


def test_time_limits_follow_the_queue(settings):
    handle = app.tasks["triggers.tasks.handle_events_task"]
    train = app.tasks["recommendations.tasks.train_recommender_task"]
    assert handle.time_limit == 60
    assert train.time_limit == settings.PZ_RECOMMENDER_TRAINING_TIMEOUT


def test_queues_share_the_run_prefix(monkeypatch):
    monkeypatch.setenv("PZ_CELERY_QUEUE", "pz-ci-123")
    assert queues.pool_queue_names("realtime") == ["pz-ci-123.ingest", "pz-ci-123.delivery"]
    assert queues.all_queue_names()[0] == "pz-ci-123"


def test_priorities_are_declared_on_the_named_queues():
    by_name = {q.name: q for q in queues.kombu_queues("p")}
    assert by_name["p.ingest"].queue_arguments == {"x-max-priority": queues.MAX_PRIORITY}
    assert not by_name["p"].queue_arguments


@pytest.mark.real_clock
def test_the_running_workers_consume_every_queue(celery_worker_app):
    """CI (.ci/run) starts one worker per pool; together they consume every queue."""
    active = celery_worker_app.control.inspect(timeout=2.0).active_queues() or {}
    consumed = {queue["name"] for worker_queues in active.values() for queue in worker_queues}
    assert set(queues.all_queue_names()) <= consumed


def test_priorities_are_inverted_for_a_redis_broker():
    """RabbitMQ delivers the highest priority first, kombu's Redis transport the lowest."""
    assert queues.broker_priority(8, "amqp://guest@localhost//") == 8
    assert queues.broker_priority(8, None) == 8
    assert queues.broker_priority(8, "redis://localhost:6379/0") == 1
    assert queues.broker_priority(8, "rediss://localhost:6379/0") == 1


def test_queue_wait_counts_from_publish_or_from_the_eta():
    """The lag the worker logs per task (config/celery.py): a countdown is not lag."""
    assert queue_wait({"timestamp": 1000}, None, 1012.5) == 12.5
    eta = datetime.fromtimestamp(1060, tz=UTC).isoformat()
    assert queue_wait({"timestamp": 1000}, eta, 1065.0) == 5.0
    assert queue_wait({"timestamp": 1000}, eta, 1030.0) == 0.0
    assert queue_wait({}, None, 1000.0) is None
