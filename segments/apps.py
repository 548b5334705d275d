from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = "Segments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from segments import signal_handlers
        from segments.visitor_sections import register_segment_sections
        from tracking.signals import events_ingested, visitors_merged

        register_segment_sections()
        events_ingested.connect(signal_handlers.on_events_ingested, dispatch_uid="segments-ingest")
        visitors_merged.connect(signal_handlers.on_visitors_merged, dispatch_uid="segments-merge")
