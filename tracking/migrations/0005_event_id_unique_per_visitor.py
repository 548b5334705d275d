"""event_id is unique per visitor, not globally: visitor A's id no longer drops visitor
B's event. The new constraint is added before the old one is dropped, so duplicates are
refused throughout. On PostgreSQL its index is built CONCURRENTLY (a populated events
table keeps taking writes meanwhile) and then attached as the constraint."""

from django.db import migrations, models


class AddUniqueConstraintConcurrently(migrations.AddConstraint):
    """`AddConstraint`, with the unique index built without blocking writes on PostgreSQL
    (elsewhere, and when reversed, exactly `AddConstraint`)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        name = schema_editor.quote_name(self.constraint.name)
        columns = ", ".join(
            schema_editor.quote_name(model._meta.get_field(f).column)
            for f in self.constraint.fields
        )
        # An interrupted earlier run may have left an invalid index of that name behind.
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({columns})")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}"
        )


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("tracking", "0004_pseudonymize_login_user_ids"),
    ]

    operations = [
        AddUniqueConstraintConcurrently(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=("visitor_id", "event_id"), name="event_visitor_event_id"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="event_id",
            field=models.UUIDField(blank=True, null=True),
        ),
    ]
