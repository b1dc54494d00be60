from django.core.management.base import BaseCommand

from apps.privacy import services


class Command(BaseCommand):
    help = "Apply every workspace's retention period now (the beat schedule does it daily)."

    def handle(self, *args, **options):
        self.stdout.write(str(services.apply_retention()))
