"""Write the key check value under the current key, and schedule the daily retention job (one beat row for all
workspaces: each workspace's period is read when it runs)."""

from django.db import migrations

from apps.core import crypto

CANARY = "murmur encryption key check v1"  # apps/privacy/services.CANARY
TASK_NAME = "privacy: apply retention periods"


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM privacy_keycheck")
        if not cursor.fetchone()[0]:
            cursor.execute("INSERT INTO privacy_keycheck (canary, created_at) VALUES (%s, now())",
                           [crypto.encrypt_str(CANARY)])
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(minute="30", hour="2", day_of_week="*", day_of_month="*",
                                                       month_of_year="*", timezone="UTC")
    PeriodicTask.objects.update_or_create(name=TASK_NAME, defaults={
        "crontab": crontab, "task": "apps.privacy.tasks.apply_retention", "queue": "default", "enabled": True})


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("privacy", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
