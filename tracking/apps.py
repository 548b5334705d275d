from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "Tracking and profiles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.callers import register_visitor_resolver
        from tracking.selectors import resolve_visitor_id
        from tracking.visitor_sections import register_tracking_sections

        register_tracking_sections()
        register_visitor_resolver(resolve_visitor_id)
