"""Dependencies say what they are: requirements.txt pins what pz runs (pyproject.toml's
[project].dependencies and what those need), requirements-dev.txt the test and lint tools
([dependency-groups].dev and what those need beyond the runtime pins). Read from the
installed packages' metadata, so a pin nothing needs, or a needed one missing, fails."""

import ast
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME = PYPROJECT["project"]["dependencies"]
DEV = PYPROJECT["dependency-groups"]["dev"]
# Code that `make demo`, `make bench` and `make loadtest` run with only requirements.txt.
TEST_CODE = {"tests", "conftest.py"}
# bench/wagtail_personalisation is a separate project with its own pinned virtualenv.
SKIPPED_DIRS = {
    ".venv",
    "node_modules",
    "staticfiles",
    "media",
    "__pycache__",
    "wagtail_personalisation",
}
# The installer's own: every virtualenv has it, `make` upgrades it.
INSTALLER = {"pip"}
# Imported only when installed by hand, for a comparison the benchmark skips without it.
OPTIONAL_IMPORTS = {"growthbook"}


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            package, _, version = line.partition("==")
            found[canonicalize_name(package)] = version
    return found


def needed(requirements: Iterable[str]) -> set[str]:
    """The distributions `requirements` need, transitively, extras and markers applied."""
    names: set[str] = set()
    seen: set[tuple[str, str]] = set()
    stack = [Requirement(raw) for raw in requirements]
    while stack:
        requirement = stack.pop()
        name = canonicalize_name(requirement.name)
        names.add(name)
        for extra in ("", *requirement.extras):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for raw in metadata.requires(name) or ():
                dependency = Requirement(raw)
                if dependency.marker is None or dependency.marker.evaluate({"extra": extra}):
                    stack.append(dependency)
    return names


def runtime_sources() -> Iterator[Path]:
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if not parts & SKIPPED_DIRS and not parts & TEST_CODE:
            yield path


def names_used(paths: Iterable[Path]) -> tuple[dict[str, str], set[str]]:
    """Top-level modules imported (module -> first file) and the heads of dotted names in
    strings (settings name apps, middleware and backends as strings)."""
    imported: dict[str, str] = {}
    named: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                head = node.value.split(".", 1)[0]
                if head.isidentifier():
                    named.add(head)
            for module in modules:
                imported.setdefault(module.split(".", 1)[0], str(path.relative_to(ROOT)))
    return imported, named


def modules_of() -> dict[str, set[str]]:
    by_distribution: dict[str, set[str]] = {}
    for module, distributions in metadata.packages_distributions().items():
        for distribution in distributions:
            by_distribution.setdefault(canonicalize_name(distribution), set()).add(module)
    return by_distribution


def test_runtime_pins_are_what_pz_runs_and_what_that_needs():
    pinned, wanted = set(pins("requirements.txt")), needed(RUNTIME)

    assert not pinned - wanted, f"pinned for the runtime, needed by nothing: {pinned - wanted}"
    assert not wanted - pinned, f"needed at run time, not pinned: {wanted - pinned}"


def test_dev_pins_are_the_test_tools_and_what_they_need_beyond_the_runtime():
    runtime, dev = set(pins("requirements.txt")), set(pins("requirements-dev.txt"))
    wanted = needed(DEV) - runtime - INSTALLER

    assert not dev & runtime, f"pinned twice: {dev & runtime}"
    assert not dev - wanted, f"dev pins needed by nothing: {dev - wanted}"
    assert not wanted - dev, f"needed by the test tools, not pinned: {wanted - dev}"


def test_every_declared_runtime_dependency_is_used():
    imported, named = names_used(runtime_sources())
    modules = modules_of()

    unused = [
        requirement
        for requirement in RUNTIME
        if not modules[canonicalize_name(Requirement(requirement).name)] & (set(imported) | named)
    ]

    assert unused == [], "declared in pyproject.toml, used by no runtime code"


def test_code_run_without_the_dev_pins_imports_only_runtime_packages():
    imported, _ = names_used(runtime_sources())
    local = {path.name for path in ROOT.iterdir() if path.is_dir()} | {
        path.stem for path in ROOT.glob("*.py")
    }
    modules = modules_of()
    runtime_modules = set().union(*(modules.get(name, set()) for name in pins("requirements.txt")))

    outside = {
        module: where
        for module, where in imported.items()
        if module not in sys.stdlib_module_names
        and module not in local | runtime_modules | OPTIONAL_IMPORTS
    }

    assert outside == {}, "imported by code `make demo` runs, not in requirements.txt"


# pytest in a process where time-machine (one of the test tools) is not installed.
WITHOUT_A_TEST_TOOL = """
import sys
from importlib import metadata

import pytest

installed = metadata.distribution


def distribution(name):
    if name == "time-machine":
        raise metadata.PackageNotFoundError(name)
    return installed(name)


metadata.distribution = distribution
sys.exit(pytest.main(["--collect-only", "core/tests"]))
"""


def test_pytest_without_the_test_tools_says_to_run_make_test():
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", WITHOUT_A_TEST_TOOL],
        cwd=ROOT,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},  # faster, same check
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "The test tools are not installed (time-machine)" in result.stderr
    assert "Run `make test`" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
