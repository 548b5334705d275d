"""Click-through per strategy from impression/click events, and the admin screens."""

from datetime import timedelta

import pytest

from core.models import JobRun
from recommendations.selectors import ctr_by_strategy
from recommendations.tests.conftest import NOW, iso

pytestmark = [pytest.mark.django_db, pytest.mark.time_sensitive]


def tracked(event_type, strategy=None, days_ago=1.0, **properties):
    if strategy:
        properties["strategy"] = strategy
    return {
        "type": event_type,
        "visitor_id": "v1",
        "timestamp": iso(NOW - timedelta(days=days_ago)),
        "properties": {"placement": "home-recs", **properties},
    }


@pytest.fixture
def feedback(db, ingest):
    ingest(
        [tracked("impression", "personal") for _ in range(4)]
        + [tracked("click", "personal", product_id="tent")]
        + [tracked("impression", "similar"), tracked("impression", "similar")]
        + [tracked("impression", "popular", days_ago=40)]  # outside the window
        + [tracked("click")]  # a click on a placement that is not a carousel
    )


def test_ctr_is_clicks_over_impressions_per_strategy(feedback):
    rows = ctr_by_strategy(since=NOW - timedelta(days=30), until=NOW)

    assert [(r.strategy, r.impressions, r.clicks, r.ctr) for r in rows] == [
        ("personal", 4, 1, 0.25),
        ("similar", 2, 0, 0.0),
    ]


def test_ctr_api_is_staff_only(feedback, staff_client, api_client):
    assert api_client.get("/api/v1/recommendations/ctr").status_code in (401, 403)
    assert staff_client.get("/api/v1/recommendations/ctr", {"days": 3650}).status_code == 200


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    client.force_login(user)
    return client


def test_admin_lists_versions_with_metrics_and_trains_now(
    trained, admin_client, django_capture_on_commit_callbacks
):
    index = admin_client.get("/admin/recommenders/")
    assert index.status_code == 200
    assert b"Recommender v1" in index.content and b"Train now" in index.content

    inspect = admin_client.get(f"/admin/recommenders/inspect/{trained.pk}/")
    assert inspect.status_code == 200 and b'data-strategy="personal"' in inspect.content

    # The task is sent after commit: the button shows the job, which then finishes.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/recommenders/train/")
    job = JobRun.objects.get()
    assert response["Location"] == f"/admin/jobs/{job.pk}/"
    assert trained.__class__.objects.filter(is_active=True).get().version == 2
    page = admin_client.get(response["Location"]).content.decode()
    assert "Training the recommender" in page and "Finished</strong>" in page
    assert 'href="/admin/recommenders/">Back to Recommenders' in page


def test_admin_shows_ctr_per_strategy(admin_client):
    from django.utils import timezone

    from tracking.models import Event

    now = timezone.now()
    Event.objects.create(
        visitor_id="v1",
        type="impression",
        timestamp=now,
        received_at=now,
        properties={"placement": "home-recs", "strategy": "personal"},
    )
    page = admin_client.get("/admin/recommenders/ctr/")

    assert page.status_code == 200
    assert b'data-strategy="personal"' in page.content


def test_versions_cannot_be_edited_and_staff_without_permission_cannot_train(
    trained, client, django_user_model
):
    user = django_user_model.objects.create_user("editor", password="pw-x-12345", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_recommendermodel"),
    )
    client.force_login(user)

    assert client.get("/admin/recommenders/").status_code == 200
    assert client.get(f"/admin/recommenders/edit/{trained.pk}/").status_code in (302, 403, 404)
    client.post("/admin/recommenders/train/")
    assert trained.__class__.objects.count() == 1
