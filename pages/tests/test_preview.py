"""Previewing a page as a segment, a device or a country (Wagtail preview modes): the
draft's blocks decide with the forced audience, and the preview counts nothing."""

import pytest
from django.test import RequestFactory

from experiments.models import Exposure
from pages.tests.factories import home_page, personalized
from segments.services import segment_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(settings, django_user_model):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    segment_save(key="vip", name="VIP", rule={"field": "profile.orders", "op": "gt", "value": 5})
    return home_page(
        [
            personalized(
                "Hero",
                "Welcome",
                [
                    ("vip", {"segments_any": ["vip"]}, "Hello VIP"),
                    ("mobile", {"device": "mobile"}, "On the go"),
                    ("french", {"countries": "FR"}, "Bonjour"),
                ],
            )
        ]
    )


def preview(page, mode: str, user) -> str:
    request = RequestFactory().get("/admin/")
    request.user = user
    response = page.make_preview_request(request, mode)
    return response.content.decode()


def test_preview_modes_list_segments_devices_and_countries(page):
    modes = dict(page.preview_modes)
    assert modes["segment:vip"] == "As segment: VIP"
    assert "device:mobile" in modes and "country:FR" in modes
    assert page.default_preview_mode == ""


def test_each_mode_shows_its_variant_and_no_tracker(page, django_user_model):
    staff = django_user_model.objects.create_superuser("ed", password="pw-ed-12345")
    assert "Welcome" in preview(page, "", staff)
    assert "Hello VIP" in preview(page, "segment:vip", staff)
    assert "On the go" in preview(page, "device:mobile", staff)
    html = preview(page, "country:FR", staff)
    assert "Bonjour" in html
    assert "pz.js" not in html  # no tracker: no impression from a preview
    assert not Exposure.objects.exists()


def test_a_draft_is_previewed_before_it_is_published(page, django_user_model):
    staff = django_user_model.objects.create_superuser("ed", password="pw-ed-12345")
    page.body[0].value["variants"][0]["content"][0].value["heading"] = "Draft VIP"
    assert "Draft VIP" in preview(page, "segment:vip", staff)
