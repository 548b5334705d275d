"""Experiments can target a page's body (`page:<page id>`): arms are the page itself and
its live page variants, each visitor keeps their arm at the page's URL, and the first view
records one exposure (never a preview)."""

import pytest
from django.test import RequestFactory

from experiments.models import Exposure
from experiments.services import ExperimentError, experiment_create, experiment_start
from pages.models import PageVariant
from pages.page_variants import page_target_key
from pages.tests.factories import hero, home_page
from segments.services import segment_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    vip = segment_save(
        key="vip", name="VIP", rule={"field": "profile.orders", "op": "gt", "value": 5}
    )
    page = home_page([{"type": "hero", "value": hero("Everyone")[0]["value"]}])
    variant = PageVariant(
        page=page, key="bold", name="Bold home", body=hero("Bold page"), live=False
    )
    variant.save()
    variant.segments.set([vip])
    variant.save_revision().publish()
    return page


def arms():
    return [{"key": "a", "variant": "default"}, {"key": "b", "variant": "bold"}]


def started(page):
    experiment = experiment_create(
        key="page-test", name="Page test", placement_key=page_target_key(page.pk), arms=arms()
    )
    experiment_start(experiment=experiment)
    return experiment


def body_shown(html: str) -> str:
    assert ("Bold page" in html) != ("Everyone" in html)
    return "bold" if "Bold page" in html else "default"


def test_visitors_keep_their_arm_at_the_same_url(client, page):
    started(page)
    by_arm = {"a": "default", "b": "bold"}
    shown_arms = set()
    for visitor in range(12):
        client.cookies.clear()
        shown = body_shown(client.get("/").content.decode())
        for _ in range(2):  # the same visitor again: the same arm, no new exposure
            assert body_shown(client.get("/").content.decode()) == shown
        exposures = Exposure.objects.filter(experiment__key="page-test")
        assert exposures.count() == visitor + 1  # one per visitor
        assert by_arm[exposures.latest("id").arm] == shown  # the arm they were shown
        shown_arms.add(shown)
    assert shown_arms == {"default", "bold"}  # two visitors, two bodies, one URL


def test_previews_and_cached_pages_record_no_exposure(client, page, django_user_model):
    started(page)
    staff = django_user_model.objects.create_superuser("ed", password="pw-ed-12345")
    client.force_login(staff)
    for _ in range(3):  # a staff preview as a segment set
        assert client.get("/?pz_preview_segments=").status_code == 200
    request = RequestFactory().get("/admin/")
    request.user = staff
    for mode in ("", "segment:vip", "device:mobile"):  # the page editor's preview modes
        assert page.make_preview_request(request, mode).status_code == 200
    variant = PageVariant.objects.get(key="bold")
    assert b"Bold page" in variant.make_preview_request(request, "").content
    assert not Exposure.objects.exists()
    client.logout()
    page.cached_mode = True
    page.save_revision().publish()
    for _ in range(3):
        client.cookies.clear()
        assert b"Everyone" in client.get("/").content  # variants are not served there
    assert not Exposure.objects.exists()


def test_the_api_accepts_a_page_target_and_names_a_bad_arm(staff_client, page):
    target = page_target_key(page.pk)
    response = staff_client.post(
        "/api/v1/experiments",
        {"key": "page-test", "name": "Page test", "placement": target, "arms": arms()},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["placement"] == target
    bad = [{"key": "a", "variant": "default"}, {"key": "b", "variant": "nope"}]
    response = staff_client.post(
        "/api/v1/experiments",
        {"key": "bad", "name": "Bad", "placement": target, "arms": bad},
        format="json",
    )
    assert response.status_code == 400
    assert "arms[1].variant" in response.content.decode()
    response = staff_client.post(
        "/api/v1/experiments",
        {"key": "gone", "name": "Gone", "placement": "page:999999", "arms": arms()},
        format="json",
    )
    assert response.status_code == 400
    assert "placement" in response.content.decode()


def test_arms_name_live_variants_only(page):
    PageVariant.objects.filter(key="bold").update(live=False)
    with pytest.raises(ExperimentError) as error:
        experiment_create(key="x", name="x", placement_key=page_target_key(page.pk), arms=arms())
    assert "arms[1].variant" in error.value.fields


def test_promoting_a_variant_publishes_its_body_as_the_page(client, staff_client, page):
    experiment = started(page)
    revisions = page.revisions.count()
    response = staff_client.post(
        "/api/v1/experiments/page-test/promote", {"arm": "b"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["winner"] == "b" and response.json()["status"] == "stopped"
    page.refresh_from_db()
    assert page.revisions.count() == revisions + 1
    assert page.live_revision_id == page.latest_revision_id  # published
    client.cookies.clear()
    assert b"Bold page" in client.get("/").content  # everyone gets the winner now
    experiment.refresh_from_db()
    assert experiment.winner == "b"


def test_promoting_a_block_winner_is_still_refused(staff_client):
    from pages.block_catalog import block_key
    from pages.tests.factories import personalized

    block = personalized("Hero", "Welcome", [("bold", {"countries": "IS"}, "Bold move")])
    home = home_page([block])
    arms = [{"key": "a", "variant": "default"}, {"key": "b", "variant": "bold"}]
    key = block_key(home.pk, home.body[0].id)
    experiment_start(
        experiment=experiment_create(key="blk", name="blk", placement_key=key, arms=arms)
    )
    response = staff_client.post("/api/v1/experiments/blk/promote", {"arm": "b"}, format="json")
    assert response.status_code == 409
    assert "page editor" in response.content.decode()
