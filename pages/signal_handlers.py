"""A published page changes what `block:` decisions compile: bump the config version."""

from typing import Any

from core.config_version import bump_config_version


def on_page_changed(sender: Any, **kwargs: Any) -> None:
    bump_config_version()
