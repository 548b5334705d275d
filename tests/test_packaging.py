"""What `pip install <checkout>` installs is what pz exports to a site: every app of
`core.settings_export.PZ_APPS` with its subpackages, and nothing of the demo or project."""

import tomllib
from pathlib import Path

from core.settings_export import PZ_APPS, PZ_INSTALLED_APPS, PZ_MIDDLEWARE

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_installed_packages_are_the_exported_apps() -> None:
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    assert sorted(include) == sorted([*PZ_APPS, *(f"{app}.*" for app in PZ_APPS)])
    assert not {"config", "storefront", "demo", "bench", "tests"} & set(PZ_APPS)
    assert all(app in PZ_INSTALLED_APPS for app in PZ_APPS)


def test_pz_projects_middleware_holds_the_exported_middleware_in_order() -> None:
    from django.conf import settings

    positions = [settings.MIDDLEWARE.index(name) for name in PZ_MIDDLEWARE]
    assert positions == sorted(positions)
