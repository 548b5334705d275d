from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Everything that builds the demo shop (`load_demo`, `ensure_demo_staff`): the
    Online Retail loader, demo segments, content and customers. Nothing imports it; a
    real shop leaves it out of INSTALLED_APPS."""

    name = "demo"
    label = "pz_demo"
    verbose_name = "pz demo shop"
