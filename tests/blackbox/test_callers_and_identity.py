"""Attacks on callers and identity (issue "Trust II"): the login takeover of a customer,
acting for other visitors through a body `visitor_id`, a cookie forged with the key the
repository once published, and a publicly cacheable response handing out an id."""

import time

from django.core import signing

from core.identity_tokens import make_identity_token
from tests.blackbox.conftest import CUSTOMER_EMAIL, CUSTOMER_NAME, GREETING

PUBLIC_DEFAULT_KEY = "pz-insecure-development-key-change-me"
TIMEOUT = 10


def mint(session, shop) -> dict:
    """The attacker's own visitor, minted by the server: its id and token."""
    response = session.post(shop.api("consent"), json={}, timeout=TIMEOUT)
    assert response.status_code == 200
    return response.json()


def test_login_with_a_guessed_customer_id_takes_over_nothing(shop, outsider) -> None:
    attacker = outsider()
    own = mint(attacker, shop)

    for properties in (
        {"user_id": shop.customer_id},
        {"user_id": shop.customer_id, "identity_token": f"{shop.customer_id}.1.deadbeef"},
        {
            "user_id": shop.customer_id,
            "identity_token": make_identity_token(  # a secret the attacker guessed
                shop.customer_id, secret=PUBLIC_DEFAULT_KEY, now=time.time()
            ),
        },
    ):
        report = attacker.post(
            shop.api("events"),
            json={"events": [{"type": "login", "properties": properties}]},
            timeout=TIMEOUT,
        ).json()
        assert report["accepted"] == 0
        assert "identity_token" in report["rejected"][0]["errors"]

    customer = shop.customer_visitor_id
    assert attacker.get(shop.api(f"visitors/{customer}"), timeout=TIMEOUT).status_code == 403
    assert attacker.get(shop.api(f"visitors/{customer}/export"), timeout=TIMEOUT).status_code == 403
    assert attacker.delete(shop.api(f"visitors/{customer}"), timeout=TIMEOUT).status_code == 403
    mine = attacker.get(shop.api(f"visitors/{own['visitor_id']}/export"), timeout=TIMEOUT)
    assert CUSTOMER_EMAIL not in mine.text and shop.customer_id not in mine.text
    greeting = attacker.post(shop.api("decide"), json={"placements": [GREETING]}, timeout=TIMEOUT)
    assert CUSTOMER_NAME not in greeting.text

    # The customer's data is all still there, for the shop's backend.
    backend = {"Authorization": f"Bearer {shop.server_key}"}
    greeted = outsider().post(
        shop.api("decide"),
        json={"visitor_id": customer, "placements": [GREETING]},
        headers=backend,
        timeout=TIMEOUT,
    )
    assert f"Hello {CUSTOMER_NAME}" in greeted.text


def test_the_shops_identity_token_does_sign_the_customer_in(shop, outsider) -> None:
    browser = outsider()
    mint(browser, shop)
    token = make_identity_token(shop.customer_id, secret=shop.identity_secret, now=time.time())
    login = {"type": "login", "properties": {"user_id": shop.customer_id, "identity_token": token}}

    report = browser.post(shop.api("events"), json={"events": [login]}, timeout=TIMEOUT).json()

    assert report["accepted"] == 1 and report["rejected"] == []
    greeting = browser.post(shop.api("decide"), json={"placements": [GREETING]}, timeout=TIMEOUT)
    assert f"Hello {CUSTOMER_NAME}" in greeting.text


def test_a_body_visitor_id_reads_and_writes_nothing_of_another_visitor(shop, outsider) -> None:
    attacker = outsider()
    mint(attacker, shop)
    customer = shop.customer_visitor_id
    backend = {"Authorization": f"Bearer {shop.server_key}"}
    refusal = {"visitor_id": customer, "tracking": False, "personalization": False}
    assert outsider().post(shop.api("consent"), json=refusal, headers=backend).status_code == 200

    attempts = [
        ("decide", {"visitor_id": customer, "placements": [GREETING]}),
        ("consent", {"visitor_id": customer, "tracking": True, "personalization": True}),
        (
            "events",
            {
                "events": [
                    {
                        "type": "add_to_cart",
                        "visitor_id": customer,
                        "properties": {"product_id": "SKU-1", "price": 1.0},
                    }
                ]
            },
        ),
    ]
    for path, body in attempts:
        response = attacker.post(shop.api(path), json=body, timeout=TIMEOUT)
        assert response.status_code == 403, path
        assert CUSTOMER_NAME not in response.text
    recommendations = attacker.get(
        shop.api("recommendations"), params={"visitor_id": customer}, timeout=TIMEOUT
    )
    assert recommendations.status_code == 403

    profile = outsider().get(shop.api(f"visitors/{customer}"), headers=backend, timeout=TIMEOUT)
    assert profile.status_code in (401, 403)  # not even the backend reads profiles
    stored = (
        outsider()
        .post(shop.api("consent"), json={"visitor_id": customer}, headers=backend, timeout=TIMEOUT)
        .json()
    )
    assert (stored["tracking"], stored["personalization"]) == (False, False)  # refusal kept


def test_a_cookie_forged_with_the_public_default_key_is_worthless(shop, outsider) -> None:
    attacker = outsider()
    forged = signing.TimestampSigner(key=PUBLIC_DEFAULT_KEY, salt="pz_vidpz.visitor").sign(
        shop.customer_visitor_id
    )
    attacker.cookies.set("pz_vid", forged)

    greeting = attacker.post(shop.api("decide"), json={"placements": [GREETING]}, timeout=TIMEOUT)
    assert greeting.json()["visitor_id"] != shop.customer_visitor_id
    assert CUSTOMER_NAME not in greeting.text
    header = outsider().post(
        shop.api("decide"),
        json={"placements": [GREETING]},
        headers={"X-Pz-Visitor": forged},
        timeout=TIMEOUT,
    )
    assert header.json()["visitor_id"] != shop.customer_visitor_id
    export = outsider().get(
        shop.api(f"visitors/{shop.customer_visitor_id}/export"),
        cookies={"pz_vid": forged},
        timeout=TIMEOUT,
    )
    assert export.status_code == 403


def test_a_publicly_cacheable_response_sets_no_cookie(shop, outsider) -> None:
    response = outsider().get(shop.api("placements"), timeout=TIMEOUT)

    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    page = outsider().get(f"{shop.url}/", timeout=TIMEOUT)  # a page does give an id
    assert "pz_vid" in page.cookies
