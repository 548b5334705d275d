from wagtail import hooks

from experiments.admin_viewsets import ExperimentsViewSetGroup


@hooks.register("register_admin_viewset")
def register_experiments_viewsets() -> ExperimentsViewSetGroup:
    return ExperimentsViewSetGroup()
