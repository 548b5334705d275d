"""Audiences in and out: static members by API and CSV upload (visitor or customer ids),
and `members.csv` with e-mail addresses only for roles that may see contact data."""

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.staff_groups import ANALYSTS, MARKETING_EDITORS, ensure_staff_groups
from segments.models import Segment, SegmentMembership
from segments.services import segment_save
from tracking.customer_keys import customer_key
from tracking.models import VisitorAlias, VisitorProfile
from tracking.services import ingest_events, upsert_customers

pytestmark = pytest.mark.django_db
URL = "/api/v1/segments/vips/members"


@pytest.fixture
def vips():
    return segment_save(key="vips", name="VIPs", kind=Segment.Kind.STATIC, rule=None)


def members(segment="vips"):
    return set(
        SegmentMembership.objects.filter(segment__key=segment, left_at__isnull=True).values_list(
            "visitor_id", flat=True
        )
    )


def post(client, body, url=URL):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def client_in(group, django_user_model):
    groups = ensure_staff_groups()
    user = django_user_model.objects.create_user(
        f"u-{group}", password="pw-12345678", is_staff=True
    )
    user.groups.add(groups[group])
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_members_are_added_by_visitor_and_customer_id_and_removed(staff_client, vips):
    ingest_events([{"type": "page_view", "visitor_id": v} for v in ("v1", "v2", "anon")])
    VisitorAlias.objects.create(alias_id="old-id", visitor_id="v2")
    upsert_customers([{"customer_id": "C-1", "email": "ada@example.com"}])
    known = VisitorProfile.objects.get(
        customer_key=customer_key("C-1", settings.PZ_CUSTOMER_ID_PEPPER)
    ).visitor_id

    body = {"add": {"visitor_ids": ["v1", "old-id", "bad id!"], "customer_ids": ["C-1", "C-new"]}}
    report = post(staff_client, body).json()
    assert (report["added"], report["removed"], report["size"]) == (4, 0, 4)
    assert report["rejected"] == {
        "add.visitor_ids[2]": "must be 1 to 64 characters from [A-Za-z0-9_-]"
    }
    assert {"v1", "v2", known} <= members() and len(members()) == 4  # C-new got a profile

    report = post(staff_client, {"remove": {"visitor_ids": ["v1"], "customer_ids": ["C-1"]}}).json()
    assert (report["added"], report["removed"], report["size"]) == (0, 2, 2)
    assert "v1" not in members() and known not in members()


def test_only_static_segments_take_members_and_bodies_are_bounded(staff_client, vips):
    segment_save(key="rich", name="Rich", rule={"field": "profile.orders", "op": "gt", "value": 1})
    response = post(staff_client, {"add": {"visitor_ids": ["v1"]}}, "/api/v1/segments/rich/members")
    assert response.status_code == 400 and "kind" in response.json()["error"]["fields"]
    assert post(staff_client, {"nothing": 1}).status_code == 400
    huge = {"add": {"visitor_ids": [f"v{n}" for n in range(10_001)]}}
    assert post(staff_client, huge).status_code == 400
    assert members() == set()


def test_members_csv_streams_every_member_with_email_for_administrators(staff_client, vips):
    upsert_customers([{"customer_id": "C-1", "email": "=cmd@example.com"}])
    post(staff_client, {"add": {"visitor_ids": ["v1"], "customer_ids": ["C-1"]}})
    response = staff_client.get(URL + ".csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "visitor_id,customer_key,since,email"
    rows = [line.split(",") for line in lines[1:]]
    key = customer_key("C-1", settings.PZ_CUSTOMER_ID_PEPPER)
    by_visitor = {row[0]: (row[1], row[3]) for row in rows}
    assert by_visitor["v1"] == ("", "")
    # The known customer: its keyed hash, and the e-mail defused for spreadsheets.
    assert sorted(by_visitor.values()) == [("", ""), (key, "'=cmd@example.com")]
    assert all(row[2].startswith("2026-") for row in rows)


def test_editors_export_without_email_and_analysts_cannot_export(
    staff_client, vips, django_user_model
):
    post(staff_client, {"add": {"visitor_ids": ["v1"]}})
    editor = client_in(MARKETING_EDITORS, django_user_model)
    lines = b"".join(editor.get(URL + ".csv").streaming_content).decode().splitlines()
    assert lines[0] == "visitor_id,customer_key,since" and lines[1].startswith("v1,")
    analyst = client_in(ANALYSTS, django_user_model)
    assert analyst.get(URL + ".csv").status_code == 403
    assert post(analyst, {"add": {"visitor_ids": ["v2"]}}).status_code == 403
    assert members() == {"v1"}


def test_the_admin_uploads_members_from_csv(admin_client, vips):
    url = f"/admin/segments/members/{vips.pk}/upload/"
    bad = admin_client.post(
        url, {"file": SimpleUploadedFile("m.csv", b"visitor_id\nv1\nnot valid!\n")}
    )
    assert "Line 3: visitor_id" in bad.content.decode() and members() == set()
    good = admin_client.post(
        url, {"file": SimpleUploadedFile("m.csv", b"Customer_ID,visitor_id\nC-9,\n,v1\n")}
    )
    assert good.status_code == 302
    assert len(members()) == 2 and "v1" in members()
    replaced = admin_client.post(
        url, {"file": SimpleUploadedFile("m.csv", b"visitor_id\nv2\n"), "replace": "on"}
    )
    assert replaced.status_code == 302 and members() == {"v2"}
    page = admin_client.get(f"/admin/segments/inspect/{vips.pk}/").content.decode()
    assert "Upload members" in page and "Export CSV" in page


def test_adding_members_keeps_the_others_and_stamps_the_segment_computed(vips):
    """Only the named visitors are reconsidered; the rest stay members untouched."""
    from segments.services import static_members_change

    static_members_change(segment=vips, add=["v1", "v2"])
    change = static_members_change(segment=vips, add=["v3"], remove=["v1"])

    current = SegmentMembership.objects.filter(segment=vips, left_at__isnull=True)
    assert sorted(current.values_list("visitor_id", flat=True)) == ["v2", "v3"]
    assert (change.entered, change.left, change.size) == (["v3"], ["v1"], 2)
    vips.refresh_from_db()
    assert vips.size == 2 and vips.last_computed_at is not None
