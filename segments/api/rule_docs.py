"""The rule format's field list for the OpenAPI schema, written from the field registry so
the API docs name exactly the fields validation accepts."""

from tracking.rule_fields import GROUPS, FieldRegistry

# Longer choice lists are summarized ("250 codes such as ...").
CHOICES_SHOWN = 8


def rule_fields_markdown(registry: FieldRegistry) -> str:
    """Every field by group: path, type and unit, label, ops, choices; then the families
    (`profile.interest.<category>`), event types and order-line properties."""
    lines = [
        "A condition tree (segments/conditions/README.md): `all`, `any`, `not`, `segment`, "
        'field leaves `{"field", "op", "value"}` and event windows '
        '`{"events": {"type", "within", "where", "agg", "property"}, "op", "value"}`. '
        "An unknown field, an op the field does not take or a value outside its type, "
        'choices or bounds is a 400 naming the node (`"all[2].field: unknown field '
        'profile.foo"`). `GET /api/v1/rule-fields` lists the fields as JSON.',
    ]
    for group in GROUPS:
        lines.append(f"\n**{group}**\n")
        for field in registry.fields:
            if field.group != group or field.hidden:
                continue
            unit = f", {field.unit}" if field.unit else ""
            note = " (request only)" if field.sql is None else ""
            lines.append(
                f"- `{field.path}` ({field.type}{unit}){note}: {field.label}; "
                f"ops {' '.join(field.ops)}{_choices(field.choices, field.closed)}"
            )
        for family in registry.families:
            if family.group == group:
                keys = registry.family_keys(family)
                listed = f"; {family.key_name}: {', '.join(str(k.value) for k in keys)}"
                lines.append(
                    f"- `{family.prefix}<{family.key_name}>` ({family.type}): "
                    f"{family.label.format(key='<' + family.key_name + '>')}"
                    f"{listed if keys else ''}"
                )
    event_types = ", ".join(str(choice.value) for choice in registry.event_types)
    lines.append(f"\n**Event types**: {event_types}.")
    properties = ", ".join(f"`{item.path}` ({item.label})" for item in registry.event_properties)
    lines.append(
        f"\n**Known event properties**: {properties}. A `where` on `items.<property>` "
        "keeps an order when any one of its lines passes every `items.*` test; "
        "`sum`/`max`/`min` of `items.<property>` aggregate over those lines; "
        "`items.line_revenue` is price x quantity."
    )
    return "\n".join(lines)


def _choices(choices: tuple, closed: bool) -> str:
    if not choices:
        return ""
    shown = ", ".join(f"{choice.value} ({choice.label})" for choice in choices[:CHOICES_SHOWN])
    more = f", ... ({len(choices)} in all)" if len(choices) > CHOICES_SHOWN else ""
    kind = "one of" if closed else "such as"
    return f"; {kind} {shown}{more}"
