"""The Experiments area of the Wagtail admin: list with the latest decision, create through
`experiment_create` (service errors on the fields), start / stop / traffic / promote,
the results report with its SRM banner, the calculator, and who may see it."""

import re
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


def arm_rows(*rows: tuple[str, str, int], keys: bool = False) -> dict[str, object]:
    """The arms as the rows post them: name, variant and share; the key left to the
    server unless `keys` (the browser fills it from the name)."""
    data: dict[str, object] = {}
    for index, (name, variant, share) in enumerate(rows):
        data[f"arms-{index}-name"] = name
        data[f"arms-{index}-key"] = name.lower() if keys else ""
        data[f"arms-{index}-variant"] = variant
        data[f"arms-{index}-share"] = str(share)
    return data


def form_data(hero: Placement, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Hero test",
        "key": "hero-test",
        "hypothesis": "A bolder hero sells more",
        "placement": str(hero.pk),
        **arm_rows(("Control", "a", 50), ("Bold", "b", 50)),
        "traffic": "50",
        "goal_event": "purchase",
        "goal_placement": "",
        "layer_key": "",
        "minimum_detectable_effect": "10",
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
    # The decision in words with what it means; never the raw value.
    row = html.split("<tbody>")[1]
    assert "Keep running" in row and "the planned sample is not reached" in row
    assert "keep_running" not in html and "Sample ratio mismatch" not in row


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


def test_the_create_form_edits_arms_as_rows_with_variants_by_name(admin_client, hero):
    html = admin_client.get("/admin/experiments/new/").content.decode()

    # The variants of each placement by their summary line, grouped by placement.
    assert f'<optgroup label="{hero.name}" data-placement="{hero.pk}">' in html
    assert "Everyone else → " in html and "experiments/arm-rows.js" in html
    # Keys fill themselves from names: the experiment's and each arm's (Wagtail's sync).
    assert 'data-w-sync-target-value="#id_key"' in html
    assert 'data-w-sync-target-value="#id_arms-0-key"' in html
    assert html.count('data-controller="w-slug"') >= 3
    # Shares and effect sizes in percent.
    assert "Traffic (%)" in html and "Minimum detectable effect (%)" in html
    assert 'name="traffic" value="100"' in html and 'value="10"' in html
    assert "Adaptive allocation" in html and "remove from cart (harmed if it rises)" in html


def test_arm_keys_come_from_names_and_shares_must_make_100(admin_client, hero):
    bad = admin_client.post(
        "/admin/experiments/new/",
        form_data(hero, **arm_rows(("Control", "a", 50), ("Bold hero", "b", 40))),
    )
    assert bad.status_code == 200
    assert "The shares add up to 90%; make them add up to 100%." in bad.content.decode()

    response = admin_client.post(
        "/admin/experiments/new/",
        form_data(hero, **arm_rows(("Control", "a", 30), ("Bold hero", "b", 70))),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    arms = Experiment.objects.get(key="hero-test").arms.values_list("key", "variant_key", "weight")
    assert list(arms) == [("control", "a", 30), ("bold-hero", "b", 70)]


def test_a_service_refusal_shows_on_the_arms_field(admin_client, hero):
    response = admin_client.post(
        "/admin/experiments/new/",
        form_data(hero, **arm_rows(("Control", "a", 50), ("Bold", "zzz", 50))),
    )

    assert response.status_code == 200
    assert "row 2 (variant): not a variant of home-hero" in response.content.decode()
    assert not Experiment.objects.exists()


def test_start_stop_and_a_refused_weight_change(admin_client, hero):
    experiment = draft()

    response = admin_client.post(f"/admin/experiments/start/{experiment.pk}/", follow=True)
    assert "is running" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.RUNNING

    edit = admin_client.post(
        f"/admin/experiments/edit/{experiment.pk}/",
        {"name": "Hero test", "hypothesis": "", "traffic": "100", "share_control": "90"},
    )
    # A running experiment's shares are fixed: the fields are disabled, the post ignored.
    assert edit.status_code == 302
    assert (
        "Fixed once the experiment runs."
        in admin_client.get(f"/admin/experiments/edit/{experiment.pk}/").content.decode()
    )
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
        {
            "name": "Renamed",
            "hypothesis": "h",
            "traffic": "40",
            "share_control": "70",
            "share_bold": "30",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    experiment.refresh_from_db()
    assert (experiment.name, experiment.traffic) == ("Renamed", 0.4)
    assert dict(experiment.arms.values_list("key", "weight")) == {"control": 70, "bold": 30}


def test_changing_the_traffic(admin_client, hero):
    experiment = experiment_start(experiment=draft())

    page = admin_client.get(f"/admin/experiments/traffic/{experiment.pk}/")
    assert page.status_code == 200
    response = admin_client.post(f"/admin/experiments/traffic/{experiment.pk}/", {"traffic": "30"})

    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.traffic == 0.3


def test_promoting_a_winner_asks_first_then_publishes_and_stops(admin_client, hero):
    experiment = experiment_start(experiment=draft())
    url = f"/admin/experiments/promote/{experiment.pk}/bold/"

    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and "Yes, promote Bold" in confirm.content.decode()
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
    recomputed = admin_client.post(f"/admin/experiments/recompute/{experiment.pk}/", follow=True)

    # The recompute is a job, done before the redirect here (eager tasks): when it finished
    # and the verdict, in words.
    message = recomputed.content.decode()
    assert "Recomputing the results of “Hero test”: finished at " in message
    assert re.search(r"\(took [\d.]+ s\)\. Keep running\.", message)
    html = admin_client.get(f"/admin/experiments/inspect/{experiment.pk}/").content.decode()

    assert 'data-report="srm-ok"' in html and 'data-report="srm"' not in html
    assert "Verdict: Keep running" in html and "keep_running" not in html
    assert 'data-report="arms"' in html and "always-valid p" in html
    assert html.count('data-report="chart"') == 2 and "<polyline" in html
    assert "Recompute now" in html and "Stop" in html
    assert experiment.snapshots.count() == 2
    # Marketers first: one sentence and the lift with its band; the table folded below.
    sentence = html.split('data-report="sentence"><strong>', 1)[1].split("</strong>", 1)[0]
    assert sentence == "No purchases yet among the 200 visitors in the experiment; keep running."
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
    row = listing.split("<tbody>")[1]
    assert "Sample ratio mismatch" in row and "no verdict until it is fixed" in row


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
            "baseline": "3",
            "minimum_detectable_effect": "10",
            "power": "80",
            "alpha": "5",
            "arms": "2",
            "daily_visitors": "5000",
            "traffic": "100",
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


def test_recompute_now_refreshes_the_verdict_in_words_in_one_click(admin_client, hero):
    experiment = experiment_start(experiment=draft())
    compute_results(experiment_id=experiment.pk, now=timezone.now() - timedelta(hours=1))
    before = admin_client.get(f"/admin/experiments/inspect/{experiment.pk}/").content.decode()
    assert "No results yet: nobody has seen the experiment." in before
    expose(experiment, {"control": 120, "bold": 120})

    # One POST, then the page it redirects to: fresh results, the verdict in words.
    response = admin_client.post(f"/admin/experiments/recompute/{experiment.pk}/", follow=True)

    html = response.content.decode()
    assert response.redirect_chain == [(f"/admin/experiments/inspect/{experiment.pk}/", 302)]
    assert experiment.snapshots.count() == 2
    assert re.search(r"finished at [\d:]+ \(took [\d.]+ s\)\. Keep running\. Not conclusive", html)
    assert "No purchases yet among the 240 visitors in the experiment; keep running." in html
    assert "Verdict: Keep running" in html and "keep_running" not in html
    assert "No results yet" not in html


def test_a_drafts_shares_must_add_up_to_100(admin_client, hero):
    experiment = draft()
    form = admin_client.get(f"/admin/experiments/edit/{experiment.pk}/").content.decode()
    assert "Share of Control (control) (%)" in form and 'name="traffic" value="100"' in form

    response = admin_client.post(
        f"/admin/experiments/edit/{experiment.pk}/",
        {"name": "Hero test", "traffic": "100", "share_control": "70", "share_bold": "20"},
    )

    assert response.status_code == 200
    assert "add up to 90%; make them 100%" in response.content.decode()
    assert dict(experiment.arms.values_list("key", "weight")) == {"control": 50, "bold": 50}
