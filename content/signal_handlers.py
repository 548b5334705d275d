"""Published content changes what decisions compile: bump the configuration version.
Wagtail's publish log entries get an audit entry with the content before and after."""

from typing import Any

from content.audit import record_publish
from core.config_version import bump_config_version


def on_content_changed(sender: Any, **kwargs: Any) -> None:
    bump_config_version()


def on_log_entry_created(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and instance.action == "wagtail.publish":
        record_publish(instance)
