"""The demo sign-in is a demo convenience, off in production settings; the consent banner
asks for tracking and personalization separately; opt-in stores nothing before a choice."""

import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tracking.models import Event, VisitorAlias, VisitorProfile
from tracking.services import known_profile

pytestmark = pytest.mark.django_db
OPT_IN = {"tracking": False, "personalization": False}


@override_settings(PZ_DEMO_SIGN_IN=False)
def test_with_demo_sign_in_off_the_page_says_so_and_signs_nobody_in(client: Client) -> None:
    known_profile("12347")
    page = client.get(reverse("storefront:login"))
    assert page.status_code == 200
    assert b"demo sign-in is disabled" in page.content
    assert b'name="customer_id"' not in page.content

    response = client.post(reverse("storefront:login"), {"customer_id": "12347"})

    assert response.status_code == 403
    assert "pz_customer_id" not in client.session
    assert not Event.objects.filter(type="login").exists()
    assert not VisitorAlias.objects.exists()


def test_the_enabled_demo_sign_in_says_it_is_a_demo_without_password(client: Client) -> None:
    page = client.get(reverse("storefront:login")).content.decode()
    assert "no password" in page and "off in production" in page


def test_the_banner_offers_each_purpose_and_accept_all(client: Client) -> None:
    html = client.get("/").content.decode()
    assert 'data-consent-purpose="tracking"' in html
    assert 'data-consent-purpose="personalization"' in html
    assert 'data-consent-choice="accept"' in html and "Accept all" in html
    assert 'data-consent-choice="decline"' in html
    assert 'data-consent-choice="save"' in html
    assert 'data-consent-required="false"' in html  # the demo is on at once


@override_settings(PZ_DEFAULT_CONSENT=OPT_IN)
def test_opt_in_stores_nothing_and_does_not_personalize_before_a_choice(
    client: Client, demo_shop
) -> None:
    html = client.get("/").content.decode()
    assert 'data-consent-required="true"' in html
    client.post(reverse("storefront:cart-add"), {"product_id": "SKU-1", "quantity": 1})
    client.get(reverse("storefront:search"), {"q": "lamp"})
    assert not Event.objects.exists()
    assert not VisitorProfile.objects.exists()

    decided = client.post(
        "/api/v1/decide", {"placements": ["home-hero"]}, content_type="application/json"
    ).json()
    assert decided["personalized"] is False
    assert not VisitorProfile.objects.exists()

    client.post(
        "/api/v1/consent",
        {"tracking": True, "personalization": True},
        content_type="application/json",
    )
    client.post(reverse("storefront:cart-add"), {"product_id": "SKU-1", "quantity": 1})
    assert Event.objects.filter(type="add_to_cart").count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@override_settings(PZ_DEFAULT_CONSENT=OPT_IN)
def test_the_banner_records_each_purpose_as_chosen(live_server, browser) -> None:
    page = browser.new_page()
    page.goto(live_server.url + "/")
    page.check('[data-consent-purpose="tracking"]')
    page.click('[data-consent-choice="save"]')

    def stored() -> VisitorProfile | None:
        return VisitorProfile.objects.filter(consent_updated_at__isnull=False).first()

    deadline = time.monotonic() + 10
    while stored() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    profile = stored()
    assert profile is not None
    assert (profile.consent_tracking, profile.consent_personalization) == (True, False)
    assert page.is_hidden("#pz-consent")
    assert profile.visitor_id == page.evaluate("window.pz.visitorId()")
