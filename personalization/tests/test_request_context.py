"""Event context from request headers."""

import pytest

from core.request_context import (
    country_from_accept_language,
    device_from_user_agent,
    event_context,
    session_id_from_cookie,
)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", "mobile"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120 Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X200) Chrome/120 Safari/537.36", "tablet"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", "tablet"),
        ("Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36", "desktop"),
        ("", "desktop"),
    ],
)
def test_device_from_user_agent(user_agent: str, device: str) -> None:
    assert device_from_user_agent(user_agent) == device


@pytest.mark.parametrize(
    ("header", "country"),
    [
        ("de-AT,de;q=0.9,en;q=0.8", "AT"),
        ("en;q=0.9,fr-CA;q=0.5", "CA"),
        ("fr-FR;q=0.3,en-GB", "GB"),
        ("zh-Hant-TW", "TW"),
        ("es-419,es", None),
        ("en", None),
        ("", None),
        ("de-DE;q=bogus", "DE"),
    ],
)
def test_country_from_accept_language(header: str, country: str | None) -> None:
    assert country_from_accept_language(header) == country


def test_event_context_never_contains_the_address() -> None:
    meta = {
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64)",
        "HTTP_ACCEPT_LANGUAGE": "nl-NL",
        "HTTP_REFERER": "https://www.google.com/",
    }

    context = event_context(meta, url="/cart/", logged_in=True)

    assert context == {
        "device": "desktop",
        "country": "NL",
        "url": "/cart/",
        "logged_in": True,
        "referrer": "https://www.google.com/",
    }


def test_session_id_from_cookie() -> None:
    assert session_id_from_cookie("3f1c-aa") == "3f1c-aa"
    assert session_id_from_cookie("bad id;") == ""
    assert session_id_from_cookie(None) == ""


def test_staff_preview_can_pretend_a_device_and_country(rf, django_user_model, db):
    from personalization.request_decisions import request_context

    staff = django_user_model.objects.create_user(
        username="s", password="pw-1234567", is_staff=True
    )
    request = rf.get(
        "/",
        {"pz_preview_segments": "vip", "pz_preview_device": "mobile", "pz_preview_country": "de"},
    )
    request.user = staff
    context = request_context(request)
    assert (context["device"], context["country"]) == ("mobile", "DE")

    shopper = rf.get("/", {"pz_preview_segments": "vip", "pz_preview_device": "mobile"})
    shopper.user = django_user_model(username="anon-like")
    shopper.user.is_staff = False
    assert request_context(shopper)["device"] == "desktop"
