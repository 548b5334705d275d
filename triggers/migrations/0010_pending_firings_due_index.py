"""The due-firings index covers pending rows only. On PostgreSQL it is built CONCURRENTLY,
so a populated firing log keeps taking a worker's writes meanwhile."""

from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    """`AddIndex`, built without blocking writes on PostgreSQL (elsewhere, and when
    reversed, exactly `AddIndex`)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        name = schema_editor.quote_name(self.index.name)
        # An interrupted earlier run may have left an invalid index of that name behind.
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.add_index(model, self.index, concurrently=True)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("triggers", "0009_firing_log_without_database_constraints"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="firing",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["due_at"],
                name="firing_pending_due",
            ),
        ),
        # Dropped after its replacement exists: the due sweep always has an index.
        migrations.RemoveIndex(
            model_name="firing",
            name="firing_due",
        ),
    ]
