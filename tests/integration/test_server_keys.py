"""Server keys: created by an administrator (command or admin), stored hashed, cached,
revocable at once; they act for any visitor on the public endpoints and nothing else."""

import io
import json
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from core import services
from core.models import ServerKey
from core.selectors import active_server_key
from core.server_keys import server_key_hash
from core.services import create_server_key, revoke_server_key
from tracking.models import Event

pytestmark = pytest.mark.django_db
KEY_RE = re.compile(r"pz_sk_[A-Za-z0-9_-]{40}")


@pytest.fixture(autouse=True)
def forget_noted_uses():
    """Uses are noted once a minute per key id and process; ids repeat across tests."""
    services._last_noted.clear()


def keyed_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def post_event(client: APIClient, visitor_id: str = "someone"):
    body = {"events": [{"type": "page_view", "visitor_id": visitor_id}]}
    return client.post("/api/v1/events", json.dumps(body), content_type="application/json")


def test_the_command_prints_only_the_key_and_stores_only_its_hash() -> None:
    out = io.StringIO()
    call_command("create_server_key", "shop backend", stdout=out)

    key = out.getvalue().strip()
    assert KEY_RE.fullmatch(key)
    stored = ServerKey.objects.get()
    assert stored.name == "shop backend"
    assert stored.key_hash == server_key_hash(key)
    assert key not in json.dumps(list(ServerKey.objects.values()), default=str)


def test_a_server_key_acts_for_any_visitor_and_is_noted_as_used(server_api_client) -> None:
    response = post_event(server_api_client, "a-visitor-of-the-backends-choice")

    assert response.status_code == 202
    assert "visitor_token" not in response.json()  # the backend has no visitor of its own
    assert "pz_vid" not in response.cookies
    assert Event.objects.get().visitor_id == "a-visitor-of-the-backends-choice"
    assert ServerKey.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer pz_sk_" + "x" * 40, "Bearer not-a-key", "Bearer", "Bearer a b", "bearer " + "y" * 46],
)
def test_an_unknown_or_malformed_key_is_a_401(header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = post_event(client)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not Event.objects.exists()


def test_a_revoked_key_is_refused_at_once_although_it_was_cached(
    server_key: str, django_capture_on_commit_callbacks
) -> None:
    client = keyed_client(server_key)
    assert post_event(client).status_code == 202  # the key is cached now

    with django_capture_on_commit_callbacks(execute=True):
        revoke_server_key(server_key=ServerKey.objects.get())

    assert post_event(client).status_code == 401


def test_revocation_wins_over_a_lookup_that_raced_it(
    server_key: str, django_capture_on_commit_callbacks
) -> None:
    """A process that read the key before the revocation committed cannot cache it
    afterwards: lookups only `add`."""
    stale = active_server_key(server_key)
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        revoke_server_key(server_key=ServerKey.objects.get())
    cache_key = f"server-key:{server_key_hash(server_key)}"
    assert cache.add(cache_key, stale) is False
    assert active_server_key(server_key) is None


def test_the_lookup_is_cached(server_key: str, django_assert_num_queries) -> None:
    assert active_server_key(server_key) is not None
    with django_assert_num_queries(0):
        assert active_server_key(server_key).name == "tests"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/segments"),
        ("get", "/api/v1/visitors/someone"),
        ("get", "/api/v1/visitors/someone/export"),
        ("delete", "/api/v1/visitors/someone"),
        ("post", "/api/v1/experiments"),
    ],
)
def test_a_server_key_opens_no_staff_endpoint(server_api_client, method: str, path: str) -> None:
    post_event(server_api_client)
    response = getattr(server_api_client, method)(path)
    assert response.status_code in (401, 403)
    assert Event.objects.filter(visitor_id="someone").exists()


def test_keys_are_unique_and_named(db) -> None:
    first = create_server_key(name="  backend  ")
    second = create_server_key(name="backend")
    assert first[1] != second[1]
    assert first[0].name == "backend"
    assert first[0].prefix == first[1][:10]
