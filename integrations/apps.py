from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Event sources in other formats"
    default_auto_field = "django.db.models.BigAutoField"
