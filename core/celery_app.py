"""pz's tasks need a Celery app configured from Django settings. pz's project makes its
own (`config/celery.py`); a site that adds pz and has no Celery app of its own gets one
here, so `CELERY_*` from `core.settings_export` apply (tasks run eagerly, in the request,
until the site sets `CELERY_BROKER_URL` and runs a worker)."""

from celery import Celery, _state


def ensure_celery_app() -> None:
    # Celery has no public "is an app configured?"; an app made by the site (or pz's
    # project) is the current one, else Celery would make an unconfigured default.
    if _state._tls.current_app is not None or _state.default_app is not None:
        return
    app = Celery("pz")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.autodiscover_tasks()
    app.set_default()
    app.set_current()
