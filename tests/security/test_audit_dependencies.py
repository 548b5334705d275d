"""The pip-audit gate: vulnerabilities fail, an unreachable source is never read as clean."""

import json
import subprocess

import pytest

from tests.security import audit_dependencies

DJANGO = {"name": "django", "version": "4.2.0"}


def pip_audit_says(monkeypatch, *, report=None, stderr="", returncode=0):
    stdout = json.dumps(report) if report is not None else ""
    done = subprocess.CompletedProcess([], returncode, stdout=stdout, stderr=stderr)
    monkeypatch.setattr(audit_dependencies, "run_pip_audit", lambda: done)


def test_a_known_vulnerability_fails(monkeypatch, capsys):
    vuln = {"id": "PYSEC-2023-100", "fix_versions": ["4.2.2"], "aliases": []}
    pip_audit_says(
        monkeypatch, report={"dependencies": [{**DJANGO, "vulns": [vuln]}]}, returncode=1
    )

    assert audit_dependencies.main() == 1
    assert "django 4.2.0: PYSEC-2023-100 (fixed in 4.2.2)" in capsys.readouterr().out


def test_a_clean_audit_passes(monkeypatch):
    pip_audit_says(monkeypatch, report={"dependencies": [{**DJANGO, "vulns": []}]})

    assert audit_dependencies.main() == 0


@pytest.mark.parametrize("require", ["", "1"])
def test_no_dependency_audited_is_reported_as_unreachable(monkeypatch, capsys, require):
    monkeypatch.setenv("PZ_REQUIRE_AUDIT", require)
    skipped = {"name": "django", "skip_reason": "Dependency not found on PyPI"}
    pip_audit_says(monkeypatch, report={"dependencies": [skipped, skipped]})

    assert audit_dependencies.main() == (1 if require else 0)
    assert "NOT AUDITED" in capsys.readouterr().out


def test_a_network_error_is_reported_as_unreachable(monkeypatch, capsys):
    monkeypatch.delenv("PZ_REQUIRE_AUDIT", raising=False)
    pip_audit_says(
        monkeypatch,
        stderr="requests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'",
        returncode=1,
    )

    assert audit_dependencies.main() == 0
    assert "NOT AUDITED" in capsys.readouterr().out


def test_some_dependencies_not_audited_fails(monkeypatch):
    skipped = {"name": "private-lib", "skip_reason": "Dependency not found on PyPI"}
    pip_audit_says(monkeypatch, report={"dependencies": [{**DJANGO, "vulns": []}, skipped]})

    assert audit_dependencies.main() == 1


def test_any_other_pip_audit_failure_fails(monkeypatch):
    pip_audit_says(monkeypatch, stderr="usage: pip-audit ...", returncode=2)

    assert audit_dependencies.main() == 1
