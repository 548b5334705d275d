"""Stored login events kept the raw customer id (`properties.user_id`); from now on only
its keyed hash is kept (`properties.customer_key`, as on the profile), and identity
tokens are never stored."""

from django.conf import settings
from django.db import migrations

from tracking.customer_keys import customer_key

BATCH = 1000


def pseudonymize_login_user_ids(apps, schema_editor):
    Event = apps.get_model("tracking", "Event")
    logins = Event.objects.filter(type="login", properties__has_key="user_id")
    ids = list(logins.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        events = list(Event.objects.filter(pk__in=ids[start : start + BATCH]).only("properties"))
        for event in events:
            properties = dict(event.properties)
            user_id = properties.pop("user_id")
            properties.pop("identity_token", None)
            if user_id is not None:
                key = customer_key(str(user_id), settings.PZ_CUSTOMER_ID_PEPPER)
                properties["customer_key"] = key
            event.properties = properties
        Event.objects.bulk_update(events, ["properties"])


class Migration(migrations.Migration):
    dependencies = [("tracking", "0003_pending_announcement")]

    operations = [
        migrations.RunPython(pseudonymize_login_user_ids, migrations.RunPython.noop, elidable=True)
    ]
