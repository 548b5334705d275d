"""Experiments can target a page's personalized block: arms name its variants, and the
page's one decision shows each visitor their arm."""

import pytest

from experiments.models import Exposure
from experiments.services import ExperimentError, experiment_create, experiment_start
from pages.block_catalog import block_key
from pages.tests.factories import home_page, personalized

pytestmark = pytest.mark.django_db


@pytest.fixture
def block():
    hero = personalized("Hero", "Welcome", [("bold", {"countries": "IS"}, "Bold move")])
    page = home_page([hero])
    return block_key(page.pk, page.body[0].id)


def arms():
    return [{"key": "a", "variant": "default"}, {"key": "b", "variant": "bold"}]


def test_an_experiment_on_a_block_shows_each_visitor_their_arm(client, block, staff_client):
    response = staff_client.post(
        "/api/v1/experiments",
        {"key": "hero-test", "name": "Hero test", "placement": block, "arms": arms()},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["placement"] == block
    assert staff_client.post("/api/v1/experiments/hero-test/start").status_code == 200
    shown = set()
    for _ in range(12):
        client.cookies.clear()
        html = client.get("/").content.decode()
        shown.add("Bold move" in html)
        assert 'data-pz-variant="' in html
    assert shown == {True, False}  # both arms are served
    assert Exposure.objects.filter(experiment__key="hero-test").count() == 12


def test_arms_must_name_the_blocks_variants(block):
    with pytest.raises(ExperimentError) as error:
        experiment_create(
            key="x",
            name="x",
            placement_key=block,
            arms=[{"key": "a", "variant": "default"}, {"key": "b", "variant": "nope"}],
        )
    assert "arms[1].variant" in error.value.fields
    with pytest.raises(ExperimentError):
        experiment_create(key="y", name="y", placement_key="block:999:nope", arms=arms())


def test_a_started_block_experiment_decides_by_arm(block):
    experiment = experiment_create(key="t", name="t", placement_key=block, arms=arms())
    experiment_start(experiment=experiment)
    assert experiment.target == block and experiment.placement is None
