"""Write the key check value under the current key (apps/privacy/checks.py verifies it at every start)."""

from django.db import migrations

from apps.core import crypto

CANARY = "murmur encryption key check v1"  # apps/privacy/services.CANARY


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM privacy_keycheck")
        if not cursor.fetchone()[0]:
            cursor.execute("INSERT INTO privacy_keycheck (canary, created_at) VALUES (%s, now())",
                           [crypto.encrypt_str(CANARY)])


class Migration(migrations.Migration):

    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
