"""The staff groups and their permissions, shared by the Wagtail admin and the staff API.

- Marketing editors: create, change, delete and publish segments, content components and
  placements, experiments (and triggers once installed); view the rest of pz, including
  individual visitors (segment members, previews) but never erase them.
- Analysts: view-only on every pz model except those holding individual visitor data
  (the models of the GDPR registry, `core.visitor_data`): they read aggregates. They
  lack the one "can view visitor data" permission
  (`core.permissions.VISITOR_DATA_PERMISSION`), so small counts are suppressed
  for them and member lists and trigger test-fires are closed, in the API and the admin.
- Administrators: every permission, erasing visitors included.

`ensure_staff_groups` is idempotent and sets each group's permissions to exactly these.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q

from core.visitor_data import registered_sections

MARKETING_EDITORS = "Marketing editors"
ANALYSTS = "Analysts"
ADMINISTRATORS = "Administrators"

PZ_APPS = (
    "tracking",
    "catalog",
    "segments",
    "content",
    "experiments",
    "recommendations",
    "insights",
)
EDITED_MODELS = (
    "segments.segment",
    "content.component",
    "content.placement",
    "content.placementvariant",
    "experiments.experiment",
    "experiments.arm",
    "experiments.layer",
    # The shop's own event types and customer attributes (`tracking.definitions`).
    "tracking.eventtypedefinition",
    "tracking.attributedefinition",
)
EDITED_APPS = ("triggers",)  # every model of these apps, when installed
EDIT_ACTIONS = ("add", "change", "delete", "view", "publish", "lock", "unlock")
ADMIN_ACCESS = ("wagtailadmin", "access_admin")


def _models_of(app_labels: tuple[str, ...]) -> list[type[models.Model]]:
    return [
        model
        for label in app_labels
        if apps.is_installed(label)
        for model in apps.get_app_config(label).get_models()
    ]


def _permissions(model_list: list[type[models.Model]], actions: tuple[str, ...]) -> set[int]:
    if not model_list:
        return set()
    content_types = ContentType.objects.get_for_models(*model_list, for_concrete_models=False)
    condition = Q()
    for model, content_type in content_types.items():
        codenames = [f"{action}_{model._meta.model_name}" for action in actions]
        condition |= Q(content_type=content_type, codename__in=codenames)
    return set(Permission.objects.filter(condition).values_list("pk", flat=True))


def _admin_access() -> set[int]:
    app_label, codename = ADMIN_ACCESS
    return set(
        Permission.objects.filter(content_type__app_label=app_label, codename=codename).values_list(
            "pk", flat=True
        )
    )


def personal_data_models() -> set[type[models.Model]]:
    """Models holding individual visitor data, as registered for GDPR export/erasure."""
    return {model for section in registered_sections() for model in section.models}


def group_permissions() -> dict[str, set[int]]:
    """Permission ids of each staff group."""
    pz_models = _models_of(PZ_APPS + EDITED_APPS)
    personal = personal_data_models()
    edited = [m for m in pz_models if m._meta.label_lower in EDITED_MODELS]
    edited += _models_of(EDITED_APPS)
    access = _admin_access()
    return {
        MARKETING_EDITORS: access
        | _permissions(pz_models, ("view",))
        | _permissions(edited, EDIT_ACTIONS),
        ANALYSTS: access | _permissions([m for m in pz_models if m not in personal], ("view",)),
        ADMINISTRATORS: set(Permission.objects.values_list("pk", flat=True)),
    }


@transaction.atomic
def ensure_staff_groups() -> dict[str, Group]:
    """Create the staff groups if missing and set their permissions (safe to re-run,
    e.g. after installing an app whose permissions a group should get)."""
    groups = {}
    for name, permission_ids in group_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permission_ids)
        groups[name] = group
    return groups
