from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Personalized pages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.signals import page_published, page_unpublished

        from pages.block_catalog import BLOCK_PREFIX, live_page_blocks
        from pages.signal_handlers import on_page_changed
        from personalization.placement_sources import register_placement_source

        register_placement_source(BLOCK_PREFIX, live_page_blocks.resolve)
        page_published.connect(on_page_changed, dispatch_uid="pz-pages-published")
        page_unpublished.connect(on_page_changed, dispatch_uid="pz-pages-unpublished")
