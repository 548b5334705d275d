from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = "Personalized content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import ModelLogEntry
        from wagtail.signals import published, unpublished

        from content.models import Component, Placement, PlacementVariant
        from content.signal_handlers import on_content_changed, on_log_entry_created

        for model in (Component, Placement):
            published.connect(
                on_content_changed, sender=model, dispatch_uid=f"pub-{model.__name__}"
            )
            unpublished.connect(
                on_content_changed, sender=model, dispatch_uid=f"unpub-{model.__name__}"
            )
        for model in (Component, Placement, PlacementVariant):
            post_save.connect(
                on_content_changed, sender=model, dispatch_uid=f"save-{model.__name__}"
            )
            post_delete.connect(
                on_content_changed, sender=model, dispatch_uid=f"del-{model.__name__}"
            )
        # Wagtail's `published` signal has no user; its log entry has, so audit after it.
        post_save.connect(
            on_log_entry_created, sender=ModelLogEntry, dispatch_uid="audit-content-publish"
        )
