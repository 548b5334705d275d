from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every pz app uses: callers and keys, the clock, shared infrastructure."""

    name = "core"
    label = "pz_core"
    verbose_name = "pz core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import checks  # noqa: F401 - register deploy checks
        from core.api import schema  # noqa: F401 - register the server key scheme
        from core.celery_app import ensure_celery_app
        from core.signal_handlers import connect_scheduler_signals, start_scheduler_with_runserver

        ensure_celery_app()
        connect_scheduler_signals()
        start_scheduler_with_runserver()
