"""Published content changes what decisions compile: bump the configuration version."""

from typing import Any

from personalization.config_version import bump_config_version


def on_content_changed(sender: Any, **kwargs: Any) -> None:
    bump_config_version()
