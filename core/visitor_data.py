"""Registry of every place that stores visitor data, for GDPR export and erasure.

Each app registers a section (in its AppConfig.ready) naming the models it covers; a
test checks by introspection that every model with a visitor reference is covered.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class VisitorDataSection:
    name: str
    models: tuple[type[models.Model], ...]
    export: Callable[[list[str]], Any]
    erase: Callable[[list[str]], None]
    # Optional: what `GET /visitors/{id}` shows under this section's name.
    profile_summary: Callable[[str], Any] | None = None


_sections: dict[str, VisitorDataSection] = {}


def register_section(section: VisitorDataSection) -> None:
    _sections[section.name] = section


def registered_sections() -> list[VisitorDataSection]:
    return list(_sections.values())
