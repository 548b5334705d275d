"""Signals the catalog owns; higher apps connect to them in their AppConfig.ready()."""

from django.dispatch import Signal

# Sent once per committed write, `PUT /products` call, import or removal, with the
# counts `created`, `updated` and `removed` (recommendations retrain on it).
catalog_changed = Signal()
