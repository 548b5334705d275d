from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Personalized pages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete
        from wagtail.signals import page_published, page_unpublished, published, unpublished

        from experiments.targets import register_target_source
        from pages.block_catalog import BLOCK_PREFIX, block_variant_keys, live_page_blocks
        from pages.models import PageVariant
        from pages.signal_handlers import on_page_changed
        from personalization.placement_sources import register_placement_source

        register_placement_source(BLOCK_PREFIX, live_page_blocks.resolve)
        register_target_source(BLOCK_PREFIX, block_variant_keys)
        page_published.connect(on_page_changed, dispatch_uid="pz-pages-published")
        page_unpublished.connect(on_page_changed, dispatch_uid="pz-pages-unpublished")
        for name, signal in (
            ("published", published),
            ("unpublished", unpublished),
            ("deleted", post_delete),
        ):
            signal.connect(on_page_changed, sender=PageVariant, dispatch_uid=f"pz-variant-{name}")
