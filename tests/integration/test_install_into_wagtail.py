"""pz added to a fresh Wagtail site exactly as the README says (section "Add pz to an
existing Wagtail site"), read from the README so a missing or wrong step fails here.

`wagtail start` makes the site in a temporary folder; a virtualenv for it reuses the
installed dependencies (a `.pth` file naming this environment's site-packages, so no
network and no copies) and pz is installed into it from the checkout with
`pip install --no-deps --no-build-isolation`. The site imports pz only from that
install: its processes run in the site's folder, not this repository's. Then the
README's settings, URLs, `migrate` and template tag; a placement is published and the
home page renders a different hero to a newsletter visitor and to another visitor.
"""

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Add pz to an existing Wagtail site"
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)
TARGET = re.compile(r"`([\w/.-]+\.(?:py|html))`")

# About 25 s of CPU; the wall-clock limit leaves room for a loaded machine.
pytestmark = [pytest.mark.install, pytest.mark.timeout(420)]

PUBLISH = """
from wagtail.models import Locale
from content.models import Component, Placement, PlacementVariant

Locale.objects.get_or_create(language_code="en")
def hero(key, heading):
    component = Component(key=key, name=key, body=[("hero", {
        "heading": heading, "subheading": "", "cta_text": "Shop", "cta_url": "/",
        "theme": "dark"})])
    component.save()
    component.save_revision().publish()
    return component

placement = Placement(key="home-hero", name="Home hero")
placement.variants = [
    PlacementVariant(key="default", component=hero("everyone", "Welcome, everyone"),
                     is_fallback=True),
    PlacementVariant(key="newsletter", component=hero("readers", "Hello, newsletter reader"),
                     priority=10, context_rule={"field": "context.utm_source", "op": "eq",
                                                "value": "newsletter"}),
]
placement.save()
placement.save_revision().publish()
print("published")
"""

RENDER = """
from django.test import Client

reader_browser = Client()
reader = reader_browser.get("/?utm_source=newsletter")
other = Client().get("/")
assert reader.status_code == other.status_code == 200, (reader.status_code, other.status_code)
print("READER:", "Hello, newsletter reader" in reader.content.decode())
print("OTHER:", "Welcome, everyone" in other.content.decode())
print("COOKIES:", sorted(reader.cookies), sorted(other.cookies))
# The visitor opts in (a site's default is opt-in) and its browser tracks through pz's
# API (tasks run: the site has no Celery app of its own).
consent = reader_browser.post("/api/v1/consent", {"tracking": True, "personalization": True},
                              content_type="application/json")
assert consent.status_code == 200, consent.content
posted = reader_browser.post("/api/v1/events", {"events": [{"type": "page_view"}]},
                     content_type="application/json")
print("EVENTS:", posted.status_code, posted.json()["accepted"])
"""


def readme_steps() -> list[tuple[str, str, str | None]]:
    """(language, code, target file named in the text before it) of each step."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"README has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    steps, last = [], 0
    for match in FENCE.finditer(section):
        targets = TARGET.findall(section[last : match.start()])
        steps.append((match.group(1), match.group(2), targets[-1] if targets else None))
        last = match.end()
    return steps


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and commands
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert completed.returncode == 0, f"{args}\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


def site_environment(venv: Path) -> dict[str, str]:
    """A clean environment: none of pz's own settings, services or paths leak in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PZ_", "DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "PYTHON"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("wagtail-site")
    venv = base / "venv"
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    python = venv / "bin" / "python"
    env = site_environment(venv)
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base, env
    ).strip()
    # Reuse this environment's packages (Django, Wagtail, pip, ...) without copying them.
    (Path(purelib) / "_reuse_installed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", str(ROOT)],
        base,
        env,
    )  # fmt: skip
    run(
        [str(python), "-c", "import sys; from wagtail.bin.wagtail import main; main()",
         "start", "mysite"],
        base,
        env,
    )  # fmt: skip
    return base / "mysite", python, env


def test_the_readme_steps_make_a_wagtail_site_personalize(site) -> None:
    project, python, env = site
    steps = readme_steps()
    assert [language for language, _, _ in steps] == ["python", "python", "sh", "django"]
    for language, code, target in steps:
        if language == "python":
            path = project / target
            path.write_text(path.read_text() + "\n" + code)
        elif language == "django":
            path = project / target
            html = path.read_text()
            assert "{% block content %}" in html
            path.write_text(html.replace("{% block content %}", "{% block content %}" + code, 1))
        else:
            for line in code.splitlines():
                if line.startswith("python manage.py"):
                    run([str(python), *line.split()[1:]], project, env)

    # pz comes from the site's install, not from this checkout.
    where = run([str(python), "-c", "import catalog; print(catalog.__file__)"], project, env)
    assert str(ROOT) not in where and "site-packages" in where

    output = run([str(python), "manage.py", "shell", "-c", PUBLISH + RENDER], project, env)
    assert "published" in output
    assert "READER: True" in output and "OTHER: True" in output, output
    assert "pz_vid" in output  # each visitor got pz's cookie
    assert "EVENTS: 202 1" in output, output


def test_pz_installs_the_apps_it_exports_and_nothing_of_the_demo(site) -> None:
    project, python, env = site
    listing = run(
        [str(python), "-c",
         "from core.settings_export import PZ_APPS; import importlib.util as u; "
         "print([a for a in PZ_APPS if u.find_spec(a) is None]); "
         "print([m for m in ('storefront', 'demo', 'config', 'bench') if u.find_spec(m)])"],
        project,
        env,
    )  # fmt: skip
    assert listing.split() == ["[]", "[]"]
