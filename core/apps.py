from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every pz app uses: callers and keys, the clock, shared infrastructure."""

    name = "core"
    label = "pz_core"
    verbose_name = "pz core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models import JSONField
        from wagtail.admin.ui.fields import register_display_class

        from core import checks  # noqa: F401 - register deploy checks
        from core.api import schema  # noqa: F401 - register the server key scheme
        from core.celery_app import ensure_celery_app
        from core.signal_handlers import connect_scheduler_signals, start_scheduler_with_runserver
        from core.value_display import JSONDisplay

        # Inspect views show stored JSON as tables, not as a Python repr.
        register_display_class(JSONField, display_class=JSONDisplay)
        ensure_celery_app()
        connect_scheduler_signals()
        start_scheduler_with_runserver()
