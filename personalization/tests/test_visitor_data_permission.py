"""One permission, "can view visitor data", decides who sees individual visitors, in the
API and the admin alike. Analysts (without it) see aggregates only: counts below
PZ_MIN_SEGMENT_SIZE are null + suppressed (no count oracle on "city = X and revenue
> N"), member lists and the trigger test-fire are closed to them."""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.permissions import VISITOR_DATA_PERMISSION, can_view_visitor_data, permission_codename
from core.staff_groups import ADMINISTRATORS, ANALYSTS, MARKETING_EDITORS, ensure_staff_groups
from segments.models import Segment
from segments.services import recompute_segment, segment_save
from tracking.models import VisitorProfile
from triggers.tests.factories import email_trigger, known_visitor

pytestmark = pytest.mark.django_db

# "Is the one customer in this city a big spender?": a count of 0 or 1 answers it (rules
# cannot match on an e-mail's value at all; a rare attribute is the same oracle).
ORACLE = {
    "all": [
        {"field": "attributes.city", "op": "eq", "value": "Reykjavik"},
        {"field": "profile.revenue", "op": "gt", "value": 500},
    ]
}
ALL_VISITORS = {"field": "profile.sessions", "op": "gte", "value": 0}


@pytest.fixture
def staff(django_user_model):
    groups = ensure_staff_groups()

    def make(group_name: str) -> tuple[APIClient, Client]:
        user = django_user_model.objects.create_user(
            username=group_name.replace(" ", "-"), password="pw-staff-123", is_staff=True
        )
        user.groups.add(groups[group_name])
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        admin = Client()
        admin.force_login(user)
        return api, admin

    return make


@pytest.fixture
def ada(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 3
    known_visitor("ada-1", email="ada@example.com", city="Reykjavik")
    VisitorProfile.objects.filter(visitor_id="ada-1").update(revenue=900)
    for n in range(4):
        known_visitor(f"other-{n}")
    small = segment_save(key="ada", name="Ada", rule=ORACLE)
    large = segment_save(key="everyone", name="Everyone", rule=ALL_VISITORS)
    recompute_segment(segment_id=small.pk)
    recompute_segment(segment_id=large.pk)
    return small


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_one_permission_is_the_visitor_profile_view_and_follows_the_groups(
    django_user_model,
):
    groups = ensure_staff_groups()
    assert VISITOR_DATA_PERMISSION == permission_codename(VisitorProfile, "view")
    allowed = {}
    for name in (ANALYSTS, MARKETING_EDITORS, ADMINISTRATORS):
        user = django_user_model.objects.create_user(username=name.replace(" ", "-"))
        user.groups.add(groups[name])
        allowed[name] = can_view_visitor_data(user)
    assert allowed == {ANALYSTS: False, MARKETING_EDITORS: True, ADMINISTRATORS: True}


def test_an_analyst_gets_no_count_oracle_from_the_preview(staff, ada):
    analyst, _ = staff(ANALYSTS)
    editor, _ = staff(MARKETING_EDITORS)

    hidden = post(analyst, "/api/v1/segments/preview", {"rule": ORACLE}).json()
    assert hidden == {"count": None, "suppressed": True, "real_time_only": False}
    assert post(editor, "/api/v1/segments/preview", {"rule": ORACLE}).json()["count"] == 1
    # Large counts are aggregates: shown to everyone.
    assert post(analyst, "/api/v1/segments/preview", {"rule": ALL_VISITORS}).json()["count"] == 5


def test_segment_sizes_and_trends_below_the_minimum_are_suppressed_for_analysts(staff, ada):
    analyst, _ = staff(ANALYSTS)
    editor, _ = staff(MARKETING_EDITORS)

    listed = {row["key"]: row for row in analyst.get("/api/v1/segments").json()}
    assert (listed["ada"]["size"], listed["ada"]["suppressed"]) == (None, True)
    assert (listed["everyone"]["size"], listed["everyone"]["suppressed"]) == (5, False)
    detail = analyst.get("/api/v1/segments/ada").json()
    assert detail["size"] is None and detail["suppressed"] is True
    assert detail["trend"] and all(
        row["size"] is None and row["entered"] is None for row in detail["trend"]
    )
    assert editor.get("/api/v1/segments/ada").json()["size"] == 1


def test_the_overlap_report_suppresses_small_counts_for_analysts(staff, ada):
    analyst, _ = staff(ANALYSTS)
    report = analyst.get("/api/v1/segments/overlap?a=ada&b=everyone").json()
    assert report["size_a"] is None and report["both"] is None and report["jaccard"] is None
    assert report["size_b"] == 5 and report["only_b"] == 4
    assert set(report["suppressed"]) == {"size_a", "both", "only_a"}


def test_the_admin_applies_the_same_permission_to_members_and_previews(staff, ada):
    _, analyst = staff(ANALYSTS)
    _, editor = staff(MARKETING_EDITORS)

    members = analyst.get(f"/admin/segments/members/{ada.pk}/")
    assert members.status_code == 302  # Wagtail's permission denied
    inspect = analyst.get(f"/admin/segments/inspect/{ada.pk}/").content.decode()
    assert "ada-1" not in inspect and "Fewer than 3" in inspect
    listing = analyst.get("/admin/segments/").content.decode()
    assert "&lt; 3" in listing and f"/admin/segments/members/{ada.pk}/" not in listing
    assert post(analyst, "/admin/segments/preview/", {"rule": ORACLE}).status_code == 302

    assert "ada-1" in editor.get(f"/admin/segments/members/{ada.pk}/").content.decode()
    assert post(editor, "/admin/segments/preview/", {"rule": ORACLE}).json()["count"] == 1


def test_the_admin_preview_suppresses_for_a_rule_editor_without_visitor_data(
    ada, django_user_model
):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="rules-only", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="add_segment"),
    )
    client = Client()
    client.force_login(user)
    preview = post(client, "/admin/segments/preview/", {"rule": ORACLE}).json()
    assert preview == {"count": None, "suppressed": True, "real_time_only": False}


def test_the_trigger_test_fire_page_shows_no_visitor_to_analysts(staff, ada):
    trigger = email_trigger(wait_seconds=0)
    _, analyst = staff(ANALYSTS)
    _, editor = staff(MARKETING_EDITORS)
    url = f"/admin/triggers/{trigger.pk}/test/"

    page = analyst.get(url, {"visitor_id": "ada-1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "ada@example.com" not in html and "Ada" not in html and "ada-1" not in html
    assert "only to roles that may view visitor data" in html

    shown = editor.get(url, {"visitor_id": "ada-1"}).content.decode()
    assert "ada@example.com" in shown


def test_segments_exist_for_the_counts_above(ada):
    assert Segment.objects.get(key="ada").size == 1
