"""Browser and app callers act only for their own visitor (API.md "Callers and
identity"): the signed `pz_vid` cookie or `X-Pz-Visitor` token, or one minted for them."""

import json

import pytest
from django.core import signing
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from core.callers import COOKIE_SALT, visitor_of_token, visitor_token
from tracking.middleware import VisitorIdMiddleware
from tracking.models import Event, VisitorAlias, VisitorProfile
from tracking.services import ingest_events, set_consent

pytestmark = pytest.mark.django_db
PUBLIC_DEFAULT_KEY = "pz-insecure-development-key-change-me"  # the key the repository once had


def post(client, path: str, body: object, **extra):
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def own_visitor(client: Client) -> tuple[str, str]:
    """A browser's visitor, minted by its first call: (id, token)."""
    body = post(client, "/api/v1/consent", {}).json()
    return body["visitor_id"], body["visitor_token"]


def test_a_new_caller_gets_a_minted_visitor_in_the_cookie_and_the_body(client) -> None:
    response = post(client, "/api/v1/events", {"events": [{"type": "page_view"}]})

    body = response.json()
    assert response.status_code == 202 and body["accepted"] == 1
    cookie = response.cookies["pz_vid"]
    assert cookie.value == body["visitor_token"]  # one signed value, cookie and token
    assert visitor_of_token(body["visitor_token"]) == body["visitor_id"]
    assert Event.objects.get().visitor_id == body["visitor_id"]
    assert cookie["samesite"] == "Lax" and not cookie["httponly"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/decide", {"visitor_id": "victim", "placements": ["home-hero"]}),
        ("/api/v1/consent", {"visitor_id": "victim", "tracking": True}),
        (
            "/api/v1/events",
            {
                "events": [
                    {"type": "page_view"},
                    {
                        "type": "add_to_cart",
                        "visitor_id": "victim",
                        "properties": {"product_id": "SKU-1"},
                    },
                ]
            },
        ),
    ],
)
def test_another_visitor_in_the_body_is_a_403_and_nothing_is_stored(client, path, body) -> None:
    set_consent(visitor_id="victim", tracking=False, personalization=False)
    own_visitor(client)

    response = post(client, path, body)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Event.objects.exists()
    victim = VisitorProfile.objects.get(visitor_id="victim")
    assert (victim.consent_tracking, victim.consent_personalization) == (False, False)


def test_recommendations_for_another_visitor_are_a_403(client) -> None:
    own_visitor(client)
    assert client.get("/api/v1/recommendations?visitor_id=victim").status_code == 403
    assert client.get("/api/v1/recommendations").status_code == 200


def test_a_caller_may_name_its_own_visitor_and_ids_stitched_to_it(client) -> None:
    visitor_id, _ = own_visitor(client)
    for anonymous_id in ("known-customer", visitor_id, "other-device"):  # trusted, server side
        ingest_events(
            [{"type": "login", "visitor_id": anonymous_id, "properties": {"user_id": "C-7"}}]
        )
    assert VisitorAlias.objects.get(alias_id=visitor_id).visitor_id == "known-customer"

    for named in (visitor_id, "known-customer", "other-device"):
        response = post(client, "/api/v1/decide", {"visitor_id": named, "placements": ["x"]})
        assert response.status_code == 200, named
    stranger = post(client, "/api/v1/decide", {"visitor_id": "stranger", "placements": ["x"]})
    assert stranger.status_code == 403


def test_the_header_token_wins_over_the_cookie(client) -> None:
    cookie_visitor, _ = own_visitor(client)
    app_visitor, app_token = own_visitor(Client())

    response = post(client, "/api/v1/consent", {"tracking": True}, HTTP_X_PZ_VISITOR=app_token)

    assert response.json()["visitor_id"] == app_visitor
    assert "pz_vid" not in response.cookies  # the browser's own cookie is left alone
    assert (
        post(
            client, "/api/v1/consent", {"visitor_id": cookie_visitor}, HTTP_X_PZ_VISITOR=app_token
        ).status_code
        == 403
    )


def test_an_app_without_cookies_keeps_its_visitor_with_the_token() -> None:
    app = Client()
    first = post(app, "/api/v1/events", {"events": [{"type": "page_view"}]}).json()
    app.cookies.clear()
    second = post(
        app,
        "/api/v1/events",
        {"events": [{"type": "search", "properties": {"query": "x"}}]},
        HTTP_X_PZ_VISITOR=first["visitor_token"],
    ).json()
    assert second["visitor_id"] == first["visitor_id"]
    assert Event.objects.filter(visitor_id=first["visitor_id"]).count() == 2


def test_a_cookie_forged_with_the_public_default_key_is_a_new_visitor(client) -> None:
    ingest_events([{"type": "page_view", "visitor_id": "victim"}])
    # What Django's signed cookie would be if SECRET_KEY were still the repository's default.
    forged_value = signing.TimestampSigner(
        key=PUBLIC_DEFAULT_KEY, salt="pz_vid" + COOKIE_SALT
    ).sign("victim")
    client.cookies["pz_vid"] = forged_value

    response = post(client, "/api/v1/decide", {"placements": ["x"]})

    assert response.json()["visitor_id"] != "victim"
    assert response.cookies["pz_vid"].value != forged_value
    assert client.get("/api/v1/visitors/victim").status_code == 403


def test_the_keys_are_not_the_public_default(settings) -> None:
    for name in ("SECRET_KEY", "PZ_IDENTITY_SECRET", "PZ_CUSTOMER_ID_PEPPER"):
        assert getattr(settings, name) != PUBLIC_DEFAULT_KEY
        assert len(getattr(settings, name)) >= 32
    assert (
        len({settings.SECRET_KEY, settings.PZ_IDENTITY_SECRET, settings.PZ_CUSTOMER_ID_PEPPER}) == 3
    )


def test_resolving_a_browser_caller_costs_no_query(django_assert_num_queries) -> None:
    request = RequestFactory().get("/p/SKU-1/")
    request.COOKIES["pz_vid"] = visitor_token("v-returning")
    middleware = VisitorIdMiddleware(lambda request: HttpResponse("ok"))

    with django_assert_num_queries(0):
        response = middleware(request)

    assert request.pz_visitor_id == "v-returning"
    assert "pz_vid" not in response.cookies


def test_a_publicly_cacheable_response_sets_no_cookie(client) -> None:
    response = client.get("/api/v1/placements")

    assert "public" in response["Cache-Control"]
    assert "pz_vid" not in response.cookies
    assert not response.cookies


@override_settings(PZ_CORS_ALLOWED_ORIGINS=["https://shop.example.com"])
def test_cors_allows_the_visitor_header(client) -> None:
    response = client.options(
        "/api/v1/decide",
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-pz-visitor",
    )
    assert "X-Pz-Visitor" in response["Access-Control-Allow-Headers"]
