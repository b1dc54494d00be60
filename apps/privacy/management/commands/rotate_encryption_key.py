"""Re-encrypt every encrypted value under the first key in MURMUR_ENCRYPTION_KEYS, online.

    1. Generate a key; restart every process with MURMUR_ENCRYPTION_KEYS="NEW,OLD" (they write with NEW and
       read both);
    2. python manage.py rotate_encryption_key   (small transactions; the app keeps running);
    3. restart with MURMUR_ENCRYPTION_KEYS="NEW".
"""

from django.core.management.base import BaseCommand, CommandError

from apps.core import crypto
from apps.privacy import services


class Command(BaseCommand):
    help = "Re-encrypt all personal data under the current (first) encryption key, in small batches."

    def handle(self, *args, **options):
        if len(crypto.configured_keys()) < 2:
            self.stderr.write("Only one key is configured: data is re-encrypted under it. To rotate, put the new "
                              "key first and the old one after it in MURMUR_ENCRYPTION_KEYS.")
        try:
            services.check_encryption_key(create=True)
        except services.KeyMismatch as exc:
            raise CommandError(str(exc)) from None

        def progress(label: str, done: int) -> None:
            if done % 5000 == 0:
                self.stdout.write(f"{label}: {done} rows re-encrypted")

        try:
            counts = services.rotate_encryption_key(progress)
        except crypto.DecryptionError as exc:
            raise CommandError(str(exc)) from None
        summary = ", ".join(f"{label}: {n}" for label, n in counts.items())
        self.stdout.write(f"Re-encrypted under the current key ({summary}). The old keys can now be removed.")
