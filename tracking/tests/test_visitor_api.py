"""GET/DELETE /api/v1/visitors/{id} and /export: staff or the visitor themself."""

import json

import pytest

from tracking.models import Event, PendingAnnouncement, VisitorAlias, VisitorProfile
from tracking.services import known_profile
from tracking.tests.factories import make_event

pytestmark = pytest.mark.django_db


def ingest(client, *events):
    client.post(
        "/api/v1/events", data=json.dumps({"events": list(events)}), content_type="application/json"
    )


def test_staff_read_the_profile(staff_client, server_api_client):
    ingest(server_api_client, make_event(), make_event("purchase"))
    body = staff_client.get("/api/v1/visitors/v1").json()
    assert body["visitor_id"] == "v1"
    assert body["counters"] == {"product_view": 1, "purchase": 1}
    assert body["orders"] == 1 and body["rfm"]["frequency"] == 1
    assert set(body) >= {"attributes", "interest", "flags", "segments", "consent", "rfm"}


def test_anonymous_callers_are_refused(api_client, server_api_client):
    ingest(server_api_client, make_event())
    assert api_client.get("/api/v1/visitors/v1").status_code in (401, 403)
    assert api_client.delete("/api/v1/visitors/v1").status_code in (401, 403)
    assert api_client.get("/api/v1/visitors/v1/export").status_code in (401, 403)
    assert VisitorProfile.objects.filter(visitor_id="v1").exists()


def test_non_staff_users_are_refused(api_client, server_api_client, django_user_model):
    ingest(server_api_client, make_event())
    user = django_user_model.objects.create_user(username="shopper", password="x-pw-123456")
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/visitors/v1").status_code == 403


def test_the_visitor_may_read_export_and_erase_their_own_data(client):
    first = client.get("/api/v1/visitors/unknown")  # sets the cookie
    assert first.status_code == 403
    own_id = first.cookies["pz_vid"].value.split(":")[0]
    ingest(client, make_event(visitor_id=own_id))
    assert client.get(f"/api/v1/visitors/{own_id}").status_code == 200
    assert client.get(f"/api/v1/visitors/{own_id}/export").status_code == 200
    assert client.delete(f"/api/v1/visitors/{own_id}").status_code == 204
    assert not Event.objects.filter(visitor_id=own_id).exists()


def test_erasure_gives_the_browser_a_new_visitor_so_tracking_does_not_resume(client):
    own_id = client.get("/").wsgi_request.pz_visitor_id
    ingest(client, make_event(visitor_id=own_id))

    erased = client.delete(f"/api/v1/visitors/{own_id}")

    assert erased.status_code == 204
    new_token = erased.cookies["pz_vid"].value
    assert erased["X-Pz-Visitor"] == new_token  # for apps that send the token, not a cookie
    new_id = new_token.split(":")[0]
    assert new_id != own_id
    ingest(client, make_event("search", visitor_id=new_id))
    assert (
        client.post(
            "/api/v1/events",
            data=json.dumps({"events": [make_event(visitor_id=own_id)]}),
            content_type="application/json",
        ).status_code
        == 403
    )  # the old id is no longer this browser's
    assert not Event.objects.filter(visitor_id=own_id).exists()
    assert Event.objects.filter(visitor_id=new_id).count() == 1


def test_staff_erasure_sets_no_visitor_cookie(staff_client, server_api_client):
    ingest(server_api_client, make_event(visitor_id="v-erased"))
    staff_client.get("/")  # the staff member's own browser visitor
    response = staff_client.delete("/api/v1/visitors/v-erased")
    assert response.status_code == 204
    assert "pz_vid" not in response.cookies and "X-Pz-Visitor" not in response


def test_after_erasure_no_stale_read_can_put_the_profile_back_in_the_cache(
    server_api_client, django_capture_on_commit_callbacks
):
    """A process that loaded the profile just before the erasure committed must not
    cache it afterwards (it only `add`s; the erasure marked the visitor unknown)."""
    from django.core.cache import cache

    from tracking.selectors import cache_entry, get_profile_entry, profile_cache_key
    from tracking.services import erase_visitor

    ingest(server_api_client, make_event(visitor_id="v-gone"))
    stale = cache_entry(VisitorProfile.objects.get(visitor_id="v-gone"))
    with django_capture_on_commit_callbacks(execute=True):
        erase_visitor(visitor_id="v-gone")

    cache.add(profile_cache_key("v-gone"), stale)  # what the late loader does
    assert get_profile_entry("v-gone") is None


def test_unknown_visitor_is_404(staff_client):
    assert staff_client.get("/api/v1/visitors/nobody").status_code == 404
    assert staff_client.delete("/api/v1/visitors/nobody").status_code == 404
    assert staff_client.get("/api/v1/visitors/nobody/export").status_code == 404


def test_export_holds_events_profile_and_aliases(staff_client, server_api_client):
    known = known_profile("12347")
    ingest(server_api_client, make_event(visitor_id="anon"), make_event("login", visitor_id="anon"))
    body = staff_client.get(f"/api/v1/visitors/{known.visitor_id}/export").json()
    assert body["linked_visitor_ids"] == sorted([known.visitor_id, "anon"])
    assert len(body["sections"]["events"]) == 2
    assert body["sections"]["profile"][0]["visitor_id"] == known.visitor_id
    assert body["sections"]["aliases"] == [{"alias_id": "anon", "visitor_id": known.visitor_id}]


def test_erasure_removes_events_profile_aliases_and_cache(staff_client, server_api_client):
    known = known_profile("12347")
    ingest(server_api_client, make_event(visitor_id="anon"), make_event("login", visitor_id="anon"))
    ingest(server_api_client, make_event(visitor_id="bystander"))
    assert staff_client.delete("/api/v1/visitors/anon").status_code == 204
    assert not Event.objects.filter(visitor_id__in=[known.visitor_id, "anon"]).exists()
    assert not VisitorProfile.objects.filter(visitor_id=known.visitor_id).exists()
    assert not VisitorAlias.objects.exists()
    assert staff_client.get("/api/v1/visitors/anon").status_code == 404
    assert staff_client.get(f"/api/v1/visitors/{known.visitor_id}").status_code == 404
    assert Event.objects.filter(visitor_id="bystander").count() == 1


def test_erasure_covers_every_model_with_a_visitor_reference():
    from django.apps import apps

    from core.visitor_data import registered_sections

    covered = {model for section in registered_sections() for model in section.models}
    with_visitor_reference = {
        model
        for model in apps.get_models()
        if any(
            field.name in {"visitor_id", "alias_id", "visitor_ids"}
            for field in model._meta.get_fields()
        )
    }
    assert with_visitor_reference <= covered, with_visitor_reference - covered


def test_pending_announcements_are_exported_and_erased_per_visitor(staff_client, server_api_client):
    ingest(server_api_client, make_event(visitor_id="anon"), make_event(visitor_id="bystander"))
    shared = PendingAnnouncement.objects.create(
        visitor_ids=["anon", "bystander"], event_types=["page_view"]
    )
    own = PendingAnnouncement.objects.create(visitor_ids=["anon"], event_types=["search"])

    body = staff_client.get("/api/v1/visitors/anon/export").json()
    assert [a["event_types"] for a in body["sections"]["pending announcements"]] == [
        ["page_view"],
        ["search"],
    ]

    assert staff_client.delete("/api/v1/visitors/anon").status_code == 204
    shared.refresh_from_db()
    assert shared.visitor_ids == ["bystander"]  # the other visitor's work still replays
    assert not PendingAnnouncement.objects.filter(pk=own.pk).exists()


def test_rows_hanging_off_visitor_data_are_covered_too():
    """A model whose rows belong to a covered row (a dead letter of a firing) holds the
    same visitor's data: it is registered, so staff permissions and the export see it."""
    from django.apps import apps

    from core.visitor_data import registered_sections

    covered = {model for section in registered_sections() for model in section.models}
    dependent = {
        model
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if (field.many_to_one or field.one_to_one)
        and field.concrete
        and field.related_model in covered
    }
    assert dependent <= covered, dependent - covered
