from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "experiments"
    verbose_name = "Experiments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from experiments.visitor_sections import on_visitors_merged, register_experiment_sections
        from tracking.signals import visitors_merged

        register_experiment_sections()
        visitors_merged.connect(on_visitors_merged, dispatch_uid="experiments-merge")
