"""Compiled catalogs (segments, placements, experiments) are rebuilt once per config
version, re-read periodically when no version can be read, and survive a database error."""

import pytest
from django.db import DatabaseError

from core import config_version
from core.config_version import CompiledCatalog


class Loader:
    def __init__(self) -> None:
        self.calls: list[object] = []
        self.fail = False

    def __call__(self, version: object) -> dict[str, object]:
        self.calls.append(version)
        if self.fail:
            raise DatabaseError("down")
        return {"version": version, "build": len(self.calls)}


def test_one_build_per_version():
    load = Loader()
    catalog = CompiledCatalog("test", load)

    first = catalog.get(1)
    assert catalog.get(1) is first
    assert catalog.get(2)["build"] == 2
    assert load.calls == [1, 2]


def test_without_a_version_it_is_read_again_after_the_max_age(monkeypatch):
    load = Loader()
    catalog = CompiledCatalog("test", load)
    clock = [1000.0]
    monkeypatch.setattr(config_version.time, "monotonic", lambda: clock[0])

    catalog.get(None)
    catalog.get(None)
    clock[0] += config_version.MAX_AGE_WITHOUT_VERSION + 1
    catalog.get(None)

    assert load.calls == [None, None]


def test_a_database_error_keeps_the_last_catalog_and_fails_without_one():
    load = Loader()
    catalog = CompiledCatalog("test", load)
    served = catalog.get(1)

    load.fail = True
    assert catalog.get(2) is served

    catalog.clear()
    with pytest.raises(DatabaseError):
        catalog.get(2)
