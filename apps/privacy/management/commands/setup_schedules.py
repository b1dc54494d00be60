"""Write the django-celery-beat rows of Murmur's fixed schedules (idempotent; the launcher runs it on every
start, a deployment after `migrate`). Per-workspace schedules (analyses) are written by their own settings."""

from django.core.management.base import BaseCommand

from apps.privacy import services


class Command(BaseCommand):
    help = "Create or update the periodic tasks Murmur always runs (the daily retention job)."

    def handle(self, *args, **options):
        services.ensure_schedules()
        self.stdout.write(f"Schedule written: {services.RETENTION_SCHEDULE}.")
