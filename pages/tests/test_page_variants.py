"""Page variants: an alternative body for some segments at the page's own URL, drafted
and published like a snippet; not served in cached-page mode."""

import pytest
from django.test import RequestFactory

from pages.models import PageVariant
from pages.tests.factories import hero, home_page, personalized
from personalization.services import decide
from segments.services import segment_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    return segment_save(
        key="vip", name="VIP", rule={"field": "profile.orders", "op": "gt", "value": 5}
    )


def variant(page, segment, *, publish=True) -> PageVariant:
    block = personalized("VIP hero", "VIP page", [("mobile", {"device": "mobile"}, "VIP mobile")])
    variant = PageVariant(page=page, key="vip", name="VIP home", body=[block], live=False)
    variant.save()
    variant.segments.set([segment])
    revision = variant.save_revision()
    if publish:
        revision.publish()
    return variant


def test_members_get_the_variant_at_the_same_url(client, vip):
    on_phones = segment_save(
        key="on-phones",
        name="On phones",
        rule={"field": "context.device", "op": "eq", "value": "mobile"},
    )
    page = home_page([{"type": "hero", "value": hero("Everyone")[0]["value"]}])
    variant(page, on_phones)
    assert b"Everyone" in client.get("/").content
    phone = client.get("/", HTTP_USER_AGENT="Mozilla/5.0 (iPhone; Mobile)")
    phone = phone.content.decode()
    assert "VIP mobile" in phone and "Everyone" not in phone  # the variant's own block
    as_vip = client.get("/?pz_preview_segments=on-phones").content  # not staff: ignored
    assert b"VIP page" not in as_vip


def test_a_staff_preview_as_the_segment_shows_the_variant(client, vip, django_user_model):
    page = home_page([{"type": "hero", "value": hero("Everyone")[0]["value"]}])
    variant(page, vip)
    django_user_model.objects.create_superuser("ed", password="pw-ed-12345")
    client.login(username="ed", password="pw-ed-12345")
    html = client.get("/?pz_preview_segments=vip").content.decode()
    assert "VIP page" in html and "Everyone" not in html
    assert 'data-pz-page-variant="vip"' in html
    # Its personalized block is decided with the page's others (and by the API).
    mobile = client.get(
        "/?pz_preview_segments=vip", HTTP_USER_AGENT="Mozilla/5.0 (iPhone; Mobile)"
    ).content
    assert b"VIP mobile" in mobile


def test_a_draft_variant_is_not_served_but_can_be_previewed(client, vip, django_user_model):
    page = home_page([{"type": "hero", "value": hero("Everyone")[0]["value"]}])
    draft = variant(page, vip, publish=False)
    staff = django_user_model.objects.create_superuser("ed", password="pw-ed-12345")
    client.force_login(staff)
    assert b"VIP page" not in client.get("/?pz_preview_segments=vip").content
    request = RequestFactory().get("/admin/")
    request.user = staff
    assert b"VIP page" in draft.make_preview_request(request, "").content


def test_variant_blocks_are_decidable_by_key(vip):
    page = home_page([])
    live = variant(page, vip)
    key = f"block:{page.pk}:{live.body[0].id}"
    decision = decide(visitor_id=None, placement_keys=[key], context={"device": "mobile"})
    assert decision.placements[key].variant == "mobile"


def test_cached_pages_serve_no_variant(client, vip, django_user_model):
    page = home_page([{"type": "hero", "value": hero("Everyone")[0]["value"]}], cached_mode=True)
    variant(page, vip)
    client.force_login(django_user_model.objects.create_superuser("ed", password="pw-ed-1"))
    assert b"VIP page" not in client.get("/?pz_preview_segments=vip").content
