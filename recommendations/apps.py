from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = "Recommendations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from catalog.signals import catalog_changed
        from recommendations import signal_handlers
        from recommendations.visitor_sections import register_recommendation_sections
        from tracking.signals import events_ingested, visitors_merged

        register_recommendation_sections()
        events_ingested.connect(
            signal_handlers.on_events_ingested, dispatch_uid="recommendations-ingest"
        )
        visitors_merged.connect(
            signal_handlers.on_visitors_merged, dispatch_uid="recommendations-merge"
        )
        catalog_changed.connect(
            signal_handlers.on_catalog_changed, dispatch_uid="recommendations-catalog"
        )
