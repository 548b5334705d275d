from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "triggers"
    verbose_name = "Triggers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tracking.signals import (
            events_ingested,
            marketing_consent_requested,
            visitors_merged,
        )
        from triggers import signal_handlers
        from triggers.visitor_sections import register_trigger_sections

        register_trigger_sections()
        from django.db.models.signals import post_delete, post_save

        from triggers.models import EmailTemplate, Trigger

        events_ingested.connect(signal_handlers.on_events_ingested, dispatch_uid="triggers-ingest")
        post_save.connect(signal_handlers.on_trigger_saved, sender=Trigger, dispatch_uid="trg-save")
        post_delete.connect(
            signal_handlers.on_trigger_saved, sender=Trigger, dispatch_uid="trg-del"
        )
        # Event triggers are kept per process with their e-mail templates.
        post_save.connect(
            signal_handlers.on_trigger_saved, sender=EmailTemplate, dispatch_uid="trg-tpl-save"
        )
        visitors_merged.connect(signal_handlers.on_visitors_merged, dispatch_uid="triggers-merge")
        marketing_consent_requested.connect(
            signal_handlers.on_marketing_consent_requested, dispatch_uid="triggers-opt-in"
        )
        from anymail.signals import tracking

        tracking.connect(signal_handlers.on_esp_tracking, dispatch_uid="triggers-esp-tracking")
