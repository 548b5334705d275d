"""The layers are enforced: import-linter's contracts (pyproject.toml) hold, place every pz
app, match the README's "Layout" table, and fail on an upward import."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]
LINTER = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {contract["id"]: contract for contract in LINTER["contracts"]}
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def layer_apps(layer: str) -> list[str]:
    """The apps of one layer ("a | (b)" -> ["a", "b"]); optional ones in parentheses."""
    return [name.strip().strip("()") for name in layer.split("|")]


def readme_layers() -> list[list[str]]:
    """The path column of README's "Layout" table, top to bottom ("`a/` · (`b/`)")."""
    section = (ROOT / "README.md").read_text().split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    return [re.findall(r"`(\w+)/`", row.split("|")[2]) for row in rows if "`" in row.split("|")[2]]


def test_every_pz_app_sits_in_exactly_one_layer():
    placed = [app for layer in CONTRACTS["layers"]["layers"] for app in layer_apps(layer)]
    assert len(placed) == len(set(placed))
    # A package at the repository's top level (a virtualenv inside the clone is not ours).
    local = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if (ROOT / config.name.split(".")[0]).is_dir()
    }
    assert local <= set(placed), f"place {sorted(local - set(placed))} in [tool.importlinter]"
    assert local <= set(LINTER["root_packages"])


def test_the_readme_shows_the_layers_as_enforced():
    assert readme_layers() == [layer_apps(layer) for layer in CONTRACTS["layers"]["layers"]]


def test_the_demo_app_is_a_leaf_and_pure_modules_stay_pure():
    assert CONTRACTS["demo-is-a-leaf"]["forbidden_modules"] == ["demo"]
    assert {"django", "wagtail", "rest_framework", "celery"} <= set(
        CONTRACTS["pure"]["forbidden_modules"]
    )
    assert "ignore_imports" not in CONTRACTS["layers"]  # no ratchet


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tool on our own tree
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages import-linter reads, and its configuration."""
    copy = tmp_path_factory.mktemp("layers")
    for package in LINTER["root_packages"]:
        shutil.copytree(
            ROOT / package,
            copy / package,
            ignore=lambda _, names: [n for n in names if not n.endswith(".py") and "." in n],
        )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_contracts_hold_and_an_upward_import_breaks_them(tree: Path):
    assert lint(tree).returncode == 0

    probe = tree / "segments" / "upward_probe.py"
    probe.write_text("from personalization import services  # noqa\n")
    try:
        result = lint(tree)
    finally:
        probe.unlink()

    assert result.returncode == 1
    assert "segments is not allowed to import personalization" in result.stdout
    assert "segments.upward_probe -> personalization.services" in result.stdout


def test_a_test_module_reaching_upward_breaks_them_too(tree: Path):
    probe = tree / "tracking" / "tests" / "test_upward_probe.py"
    probe.write_text("import triggers.models  # noqa\n")
    try:
        result = lint(tree)
    finally:
        probe.unlink()

    assert result.returncode == 1
    assert "tracking.tests.test_upward_probe -> triggers.models" in result.stdout
