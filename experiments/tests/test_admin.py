"""The Experiments area of the Wagtail admin: list with the latest decision, create through
`experiment_create` (service errors on the fields), start / stop / traffic / promote,
the results report with its SRM banner, the calculator, and who may see it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from content.models import Placement
from experiments.models import Experiment, Exposure
from experiments.services import compute_results, experiment_create, experiment_start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_client(django_user_model) -> Client:
    user = django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    client = Client()
    client.force_login(user)
    return client


def draft(key: str = "hero-test") -> Experiment:
    return experiment_create(
        key=key,
        name="Hero test",
        placement_key="home-hero",
        arms=[{"key": "control", "variant": "a"}, {"key": "bold", "variant": "b"}],
    )


def form_data(hero: Placement, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Hero test",
        "key": "hero-test",
        "hypothesis": "A bolder hero sells more",
        "placement": str(hero.pk),
        "arms": "control a 50\nbold b 50",
        "traffic": "0.5",
        "goal_event": "purchase",
        "goal_placement": "",
        "layer_key": "",
        "minimum_detectable_effect": "0.1",
    }
    data.update(overrides)
    return data


def expose(experiment: Experiment, counts: dict[str, int]) -> None:
    now = timezone.now() - timedelta(hours=1)
    Exposure.objects.bulk_create(
        Exposure(experiment=experiment, arm=arm, visitor_id=f"{arm}-{i}", first_exposed_at=now)
        for arm, count in counts.items()
        for i in range(count)
    )


def test_the_list_shows_status_traffic_and_latest_decision(admin_client, hero):
    experiment = experiment_start(experiment=draft())
    compute_results(experiment_id=experiment.pk)

    response = admin_client.get("/admin/experiments/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Hero test" in html and "Running" in html and "100%" in html
    assert "<code>keep_running</code>" in html
    assert "SRM" not in html.split("<tbody>")[1]


def test_creating_through_the_form_calls_the_service(admin_client, hero):
    response = admin_client.post(
        "/admin/experiments/new/",
        form_data(hero, guardrail_events=["remove_from_cart", "add_to_cart"]),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    experiment = Experiment.objects.get(key="hero-test")
    assert experiment.guardrail_events == ["remove_from_cart", "add_to_cart"]
    assert response["Location"] == f"/admin/experiments/inspect/{experiment.pk}/"
    assert experiment.status == Experiment.Status.DRAFT and experiment.traffic == 0.5
    arms = list(experiment.arms.values_list("key", "variant_key", "weight", "is_control"))
    assert arms == [("control", "a", 50, True), ("bold", "b", 50, False)]


def test_the_create_form_lists_the_placements_variants(admin_client, hero):
    html = admin_client.get("/admin/experiments/new/").content.decode()

    assert "data-experiment-variants" in html and "Adaptive allocation" in html
    assert "remove_from_cart (harmed if it rises)" in html
    assert "experiments/arms-hint.js" in html


def test_a_service_refusal_shows_on_the_arms_field(admin_client, hero):
    response = admin_client.post(
        "/admin/experiments/new/", form_data(hero, arms="control a 50\nbold zzz 50")
    )

    assert response.status_code == 200
    assert "not a variant of home-hero" in response.content.decode()
    assert not Experiment.objects.exists()


def test_start_stop_and_a_refused_weight_change(admin_client, hero):
    experiment = draft()

    response = admin_client.post(f"/admin/experiments/start/{experiment.pk}/", follow=True)
    assert "is running" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.RUNNING

    edit = admin_client.post(
        f"/admin/experiments/edit/{experiment.pk}/",
        {"name": "Hero test", "hypothesis": "", "traffic": "1.0", "weights": "control 90"},
    )
    assert edit.status_code == 200
    assert "Weights of a running experiment cannot change" in edit.content.decode()
    assert experiment.arms.get(key="control").weight == 50

    again = admin_client.post(f"/admin/experiments/start/{experiment.pk}/", follow=True)
    assert "Already running" in again.content.decode()

    admin_client.post(f"/admin/experiments/stop/{experiment.pk}/")
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.STOPPED


def test_editing_a_draft_changes_weights_and_traffic(admin_client, hero):
    experiment = draft()

    response = admin_client.post(
        f"/admin/experiments/edit/{experiment.pk}/",
        {"name": "Renamed", "hypothesis": "h", "traffic": "0.4", "weights": "control 70\nbold 30"},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    experiment.refresh_from_db()
    assert (experiment.name, experiment.traffic) == ("Renamed", 0.4)
    assert dict(experiment.arms.values_list("key", "weight")) == {"control": 70, "bold": 30}


def test_changing_the_traffic(admin_client, hero):
    experiment = experiment_start(experiment=draft())

    page = admin_client.get(f"/admin/experiments/traffic/{experiment.pk}/")
    assert page.status_code == 200
    response = admin_client.post(f"/admin/experiments/traffic/{experiment.pk}/", {"traffic": "0.3"})

    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.traffic == 0.3


def test_promoting_a_winner_asks_first_then_publishes_and_stops(admin_client, hero):
    experiment = experiment_start(experiment=draft())
    url = f"/admin/experiments/promote/{experiment.pk}/bold/"

    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and "Yes, promote bold" in confirm.content.decode()
    response = admin_client.post(url, follow=True)

    assert "promoted" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.STOPPED and experiment.winner == "bold"
    hero.refresh_from_db()
    assert [v.key for v in hero.variants.all() if v.is_fallback] == ["b"]


def test_the_report_shows_decision_table_and_charts(admin_client, hero):
    experiment = experiment_start(experiment=draft())
    expose(experiment, {"control": 100, "bold": 100})
    compute_results(experiment_id=experiment.pk, now=timezone.now() - timedelta(hours=1))
    admin_client.post(f"/admin/experiments/recompute/{experiment.pk}/")

    html = admin_client.get(f"/admin/experiments/inspect/{experiment.pk}/").content.decode()

    assert 'data-report="srm-ok"' in html and 'data-report="srm"' not in html
    assert "Decision: <code>keep_running</code>" in html and "Keep running" in html
    assert 'data-report="arms"' in html and "always-valid p" in html
    assert html.count('data-report="chart"') == 2 and "<polyline" in html
    assert "Recompute now" in html and "Stop" in html
    assert experiment.snapshots.count() == 2
    # Marketers first: one sentence and the lift with its band; the table folded below.
    sentence = html.split('data-report="sentence"><strong>', 1)[1].split("</strong>", 1)[0]
    assert "purchases" in sentence and "chance it is better" in sentence
    chart = html.split('data-report="lift-chart"', 1)[1].split("</figure>", 1)[0]
    assert "<polygon" in chart and "<polyline" in chart
    assert html.index('data-report="sentence"') < html.index(
        '<details class="w-mt-8" data-report="statistics"'
    )


def test_the_report_has_a_red_banner_on_sample_ratio_mismatch(admin_client, hero):
    experiment = experiment_start(experiment=draft())
    expose(experiment, {"control": 1000, "bold": 1300})
    snapshot = compute_results(experiment_id=experiment.pk)
    assert snapshot.srm

    html = admin_client.get(f"/admin/experiments/inspect/{experiment.pk}/").content.decode()
    listing = admin_client.get("/admin/experiments/").content.decode()

    assert 'data-report="srm"' in html and "Sample ratio mismatch" in html
    assert "experiment-badge--srm" in listing


def test_the_report_notes_adaptive_allocation(admin_client, hero):
    experiment = experiment_create(
        key="adaptive",
        name="Adaptive",
        placement_key="home-hero",
        arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
        adaptive=True,
    )

    html = admin_client.get(f"/admin/experiments/inspect/{experiment.pk}/").content.decode()

    assert 'data-report="adaptive"' in html and "No results yet" in html


def test_the_calculator_gives_visitors_per_arm_and_days(admin_client):
    response = admin_client.get(
        "/admin/experiments/calculator/",
        {
            "baseline": "0.03",
            "minimum_detectable_effect": "0.1",
            "power": "0.8",
            "alpha": "0.05",
            "arms": "2",
            "daily_visitors": "5000",
            "traffic": "1",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-calculator="per_arm">53,' in html  # ~53k per arm for 3% → 3.3%
    assert 'data-calculator="days">22<' in html


def test_non_staff_are_kept_out(client, django_user_model, hero):
    experiment = draft()
    user = django_user_model.objects.create_user(username="shopper", password="pw-shop-123")
    client.force_login(user)

    for url in (
        "/admin/experiments/",
        f"/admin/experiments/inspect/{experiment.pk}/",
        "/admin/experiments/calculator/",
    ):
        assert client.get(url).status_code in (302, 403)
    response = client.post(f"/admin/experiments/start/{experiment.pk}/")
    assert response.status_code in (302, 403)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.DRAFT


def test_staff_without_experiment_permissions_cannot_start(client, django_user_model, hero):
    experiment = draft()
    user = django_user_model.objects.create_user(
        username="editor", password="pw-edit-123", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)

    assert client.post(f"/admin/experiments/start/{experiment.pk}/").status_code in (302, 403)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.DRAFT
