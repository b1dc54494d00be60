"""Verify that MURMUR_ENCRYPTION_KEYS can read this database (the launcher runs it before starting anything).
On the first start it writes the value later starts check."""

from django.core.management.base import BaseCommand, CommandError

from apps.core import crypto
from apps.privacy import services


class Command(BaseCommand):
    help = "Check that the configured encryption key matches the database (writes the check value on first use)."

    def handle(self, *args, **options):
        try:
            state = services.check_encryption_key(create=True)
        except services.KeyMismatch as exc:
            raise CommandError(f"{exc} {crypto.HOW_TO}") from None
        if state == services.KEY_OLD:
            self.stderr.write("Some personal data is still encrypted under an older key: run "
                              "`python manage.py rotate_encryption_key`, then drop the old key.")
        self.stdout.write(f"Encryption key {state}.")
