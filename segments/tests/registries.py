"""A field registry for tests: the built-in fields plus custom ones added through the
extension point a field provider uses (`tracking.rule_fields.Extension`)."""

from tracking.rule_fields import (
    BOOLEAN,
    BUILTIN_REGISTRY,
    DATE,
    NUMBER,
    STRING,
    Choice,
    Extension,
    attribute_field,
)

CUSTOM = Extension(
    fields=(
        attribute_field("tier", STRING, "Tier", choices=(Choice("gold", "Gold"),)),
        attribute_field("zip", STRING, "ZIP code"),
        attribute_field("age", NUMBER, "Age"),
        attribute_field("vip", BOOLEAN, "VIP"),
        attribute_field("signed_up", DATE, "Signed up"),
    ),
    event_types=(Choice("wishlist_add", "Added to a wishlist"),),
)


def provide_custom_fields() -> Extension:
    """A field provider, as `settings.PZ_RULE_FIELD_PROVIDERS` names one."""
    return CUSTOM


TEST_REGISTRY = BUILTIN_REGISTRY.extended(CUSTOM)
