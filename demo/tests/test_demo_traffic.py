"""The demo's simulated traffic gives every personalization report figures at once."""

import pytest

from demo.traffic import replay_demo_traffic
from experiments.models import Experiment
from insights.services import uplift_report
from triggers.builtin import create_builtin_triggers
from triggers.models import Firing

pytestmark = pytest.mark.django_db


def test_traffic_fills_the_reports(demo_shop, settings):
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.2
    settings.PZ_TRIGGER_CONTROL_SHARE = 0.3
    create_builtin_triggers(enabled=True)

    report = replay_demo_traffic(days=5, visitors_per_day=60)

    assert report.visitors > 200 and report.held_out > 20 and report.purchases > 10
    uplift = uplift_report(days=30)
    assert uplift["holdout"]["visitors"] == report.held_out
    assert uplift["personalized"]["visitors"] == report.visitors - report.held_out
    experiment = Experiment.objects.get(key="hero-christmas-test")
    assert experiment.status == Experiment.Status.RUNNING and experiment.snapshots.exists()
    statuses = set(Firing.objects.values_list("status", flat=True))
    assert {Firing.Status.FIRED, Firing.Status.CONTROL} <= statuses

    again = replay_demo_traffic(days=5, visitors_per_day=60)
    assert again.events == 0  # the same visitors and event ids: nothing stored twice


def test_load_demo_replays_traffic_when_asked(demo_shop):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_demo", "--limit-invoices", "20", "--traffic-per-day", "5", stdout=out)
    assert "simulated visitors" in out.getvalue()
    assert uplift_report(days=30)["personalized"]["visitors"] > 0
