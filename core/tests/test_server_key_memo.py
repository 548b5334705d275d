"""A process trusts an active server key for at most a second without reading the shared
cache; a revocation takes effect at once in the revoking process and within that second
in the others."""

from unittest import mock

import pytest
from django.core.cache import cache

from core import selectors
from core.selectors import REVOKED_OR_UNKNOWN, active_server_key, server_key_cache_key
from core.services import create_server_key, revoke_server_key

pytestmark = pytest.mark.django_db


def test_the_revoking_process_refuses_the_key_at_once(django_capture_on_commit_callbacks):
    stored, key = create_server_key(name="shop")
    assert active_server_key(key) is not None
    with django_capture_on_commit_callbacks(execute=True):
        revoke_server_key(server_key=stored)
    assert active_server_key(key) is None


def test_another_process_refuses_a_revoked_key_within_a_second():
    stored, key = create_server_key(name="shop")
    with mock.patch.object(selectors.time, "monotonic", return_value=100.0):
        assert active_server_key(key) is not None
    # Another process revoked it: the shared cache holds the mark, this memo does not know.
    cache.set(server_key_cache_key(stored.key_hash), REVOKED_OR_UNKNOWN)
    with mock.patch.object(selectors.time, "monotonic", return_value=100.9):
        assert active_server_key(key) is not None
    with mock.patch.object(selectors.time, "monotonic", return_value=101.0):
        assert active_server_key(key) is None


def test_a_memoized_key_costs_no_cache_read():
    _, key = create_server_key(name="shop")
    active_server_key(key)
    with mock.patch.object(selectors, "cache") as shared:
        assert active_server_key(key) is not None
    shared.get.assert_not_called()
