"""The signed first-party visitor cookie `pz_vid`."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from core.client_input import is_visitor_id

pytestmark = pytest.mark.django_db
COOKIE = settings.PZ_VISITOR_COOKIE


def _page() -> str:
    return reverse("storefront:cart")


def test_first_request_gets_a_signed_visitor_cookie(client: Client) -> None:
    response = client.get(_page())

    morsel = response.cookies[COOKIE]
    visitor_id = response.wsgi_request.pz_visitor_id
    assert is_visitor_id(visitor_id)
    assert morsel.value.startswith(f"{visitor_id}:")
    assert morsel.value.count(":") == 2  # id:timestamp:signature
    assert morsel["samesite"] == "Lax"
    assert not morsel["httponly"]  # pz.js reads the id part
    assert int(morsel["max-age"]) == settings.PZ_VISITOR_COOKIE_MAX_AGE


def test_returning_visitor_keeps_the_id(client: Client) -> None:
    first = client.get(_page())
    visitor_id = first.wsgi_request.pz_visitor_id

    second = client.get(_page())

    assert second.wsgi_request.pz_visitor_id == visitor_id
    assert COOKIE not in second.cookies  # unchanged, so not re-sent


def test_unsigned_cookie_is_replaced(client: Client) -> None:
    client.cookies[COOKIE] = "attacker-id"

    response = client.get(_page())

    visitor_id = response.wsgi_request.pz_visitor_id
    assert visitor_id != "attacker-id"
    assert response.cookies[COOKIE].value.startswith(f"{visitor_id}:")


@pytest.mark.parametrize("position", [0, -1], ids=["id-changed", "signature-changed"])
def test_tampered_cookie_is_replaced(client: Client, position: int) -> None:
    signed = client.get(_page()).cookies[COOKIE].value
    original_id = signed.split(":")[0]
    chars = list(signed)
    chars[position] = "A" if chars[position] != "A" else "B"
    client.cookies[COOKIE] = "".join(chars)

    response = client.get(_page())

    visitor_id = response.wsgi_request.pz_visitor_id
    assert visitor_id not in {original_id, "".join(chars).split(":")[0]}
    assert response.cookies[COOKIE].value.startswith(f"{visitor_id}:")


def test_static_files_do_not_set_the_cookie(client: Client) -> None:
    response = client.get(f"{settings.STATIC_URL}pz/pz.js")

    assert COOKIE not in response.cookies
    assert not hasattr(response.wsgi_request, "pz_visitor_id")
