from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """What personalization earns: the uplift of personalized visitors over the global
    holdout, per-segment KPIs, trigger control groups and the personalization dashboard."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
