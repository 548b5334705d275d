"""The placement listing and its per-variant performance page with "Refresh now"."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from content.models import VariantStats
from content.tests.factories import component, placement
from core.models import JobRun
from tracking.models import Event

pytestmark = pytest.mark.django_db

LIST_URL = "wagtailsnippets_content_placement:list"
PERFORMANCE_URL = "wagtailsnippets_content_placement:performance"
REFRESH_URL = "wagtailsnippets_content_placement:refresh_stats"


@pytest.fixture
def hero():
    return placement(
        "home-hero",
        [
            {"key": "default", "component": component("hero-a"), "is_fallback": True},
            {"key": "b", "component": component("hero-b"), "priority": 200},
        ],
    )


@pytest.fixture
def tracked(hero) -> None:
    now = timezone.now() - timedelta(days=1)

    def event(kind: str, visitor: str, **properties: object) -> Event:
        return Event(
            visitor_id=visitor, type=kind, timestamp=now, received_at=now, properties=properties
        )

    shown = {"placement": "home-hero", "variant": "b"}
    Event.objects.bulk_create(
        [
            event("impression", "v1", **shown),
            event("impression", "v2", **shown),
            event("impression", "v2", **shown),
            event("click", "v2", **shown),
            event("impression", "v3", placement="home-hero", variant="retired"),
        ]
    )


def test_listing_shows_totals_and_links_to_performance(admin_client, hero, tracked):
    VariantStats.objects.create(
        placement_key="home-hero",
        variant_key="b",
        impressions=40,
        clicks=10,
        computed_at=timezone.now(),
    )

    response = admin_client.get(reverse(LIST_URL))

    html = response.content.decode()
    assert response.status_code == 200
    assert "40 · 25.0 %" in html
    assert reverse(PERFORMANCE_URL, args=[hero.pk]) in html
    assert reverse("content_preview_as") in html


def test_performance_page_before_and_after_refresh(
    admin_client, hero, tracked, django_capture_on_commit_callbacks
):
    url = reverse(PERFORMANCE_URL, args=[hero.pk])
    before = admin_client.get(url).content.decode()
    assert "No figures computed yet." in before and "Refresh now" in before

    with django_capture_on_commit_callbacks(execute=True):
        refreshed = admin_client.post(reverse(REFRESH_URL, args=[hero.pk]))

    # The task runs after commit: the button opens the job's page, which links back.
    job = JobRun.objects.get()
    assert refreshed.status_code == 302 and refreshed.url == reverse("pz_job", args=[job.pk])
    job_page = admin_client.get(refreshed.url).content.decode()
    assert "Finished</strong>" in job_page and f'href="{url}"' in job_page
    response = admin_client.get(url)
    rows = {row.key: row for row in response.context["rows"]}
    assert list(rows) == ["b", "default", "retired"]
    assert (rows["b"].stats.impressions, rows["b"].stats.viewers, rows["b"].stats.clicks) == (
        3,
        2,
        1,
    )
    assert rows["default"].stats is None and rows["retired"].removed
    html = response.content.decode()
    assert '<td data-stat="ctr">33.3&nbsp;%</td>' in html
    assert "no longer on the placement" in html


def test_refresh_is_post_only(admin_client, hero):
    assert admin_client.get(reverse(REFRESH_URL, args=[hero.pk])).status_code == 405


def test_people_without_admin_access_are_sent_to_log_in(client, django_user_model, hero):
    user = django_user_model.objects.create_user(username="shopper", password="x")
    client.force_login(user)

    for url in (reverse(LIST_URL), reverse(PERFORMANCE_URL, args=[hero.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url
    assert client.post(reverse(REFRESH_URL, args=[hero.pk])).status_code == 302
    assert not VariantStats.objects.exists()


def test_editors_without_placement_permissions_are_denied(client, django_user_model, hero):
    user = django_user_model.objects.create_user(username="editor", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)

    assert client.get(reverse(PERFORMANCE_URL, args=[hero.pk])).status_code in (302, 403)
    assert client.post(reverse(REFRESH_URL, args=[hero.pk])).status_code in (302, 403)
