"""Identity tokens (API.md "Callers and identity"): the exact format, ten minutes, at most
60 s ahead, bound to one user id, split from the right."""

import hashlib
import hmac

import pytest

from core.identity_tokens import identity_token_error, make_identity_token

SECRET = "shop-and-pz-share-this-secret-0123456789"
NOW = 1_796_000_000.0  # pinned


def test_the_format_is_user_time_and_hex_hmac_of_both() -> None:
    token = make_identity_token("13748", secret=SECRET, now=NOW)
    expected = hmac.new(SECRET.encode(), b"13748.1796000000", hashlib.sha256).hexdigest()
    assert token == f"13748.1796000000.{expected}"
    assert identity_token_error(token, "13748", secret=SECRET, now=NOW) is None


def test_user_ids_with_dots_are_read_from_the_right() -> None:
    token = make_identity_token("jane.doe.42", secret=SECRET, now=NOW)
    assert identity_token_error(token, "jane.doe.42", secret=SECRET, now=NOW) is None
    assert identity_token_error(token, "jane", secret=SECRET, now=NOW) is not None


@pytest.mark.parametrize(
    ("age", "valid"),
    [(0, True), (599, True), (600, True), (601, False), (-60, True), (-61, False)],
)
def test_valid_ten_minutes_and_at_most_a_minute_ahead(age: int, valid: bool) -> None:
    token = make_identity_token("13748", secret=SECRET, now=NOW - age)
    assert (identity_token_error(token, "13748", secret=SECRET, now=NOW) is None) is valid


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        42,
        "13748",
        "13748.1796000000",
        "13748.soon.abcdef",
        "13748.1796000000." + "0" * 64,  # a signature it is not
        "13748.¹⁷⁹⁶.abc",  # digits that are not ASCII
        "x" * 600,
    ],
)
def test_anything_else_is_refused(token: object) -> None:
    assert identity_token_error(token, "13748", secret=SECRET, now=NOW) is not None


def test_a_token_for_another_user_or_from_another_secret_is_refused() -> None:
    other_user = make_identity_token("99999", secret=SECRET, now=NOW)
    other_secret = make_identity_token("13748", secret="not-the-shop-secret-0123456789ab", now=NOW)
    assert identity_token_error(other_user, "13748", secret=SECRET, now=NOW) is not None
    assert identity_token_error(other_secret, "13748", secret=SECRET, now=NOW) is not None
