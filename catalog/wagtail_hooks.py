from typing import Any

from wagtail import hooks

from catalog.admin_viewsets import ProductImportViewSet
from catalog.services import IMPORT_ACTION
from core.audit import register_change_actions


@hooks.register("register_admin_viewset")
def register_product_import_viewset() -> ProductImportViewSet:
    return ProductImportViewSet("product_imports", url_prefix="catalog/imports")


@hooks.register("register_log_actions")
def register_catalog_actions(actions: Any) -> None:
    register_change_actions(
        actions, {IMPORT_ACTION: ("Import products", "Imported a product feed")}
    )
