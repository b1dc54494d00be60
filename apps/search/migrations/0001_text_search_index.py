"""The GIN index behind keyword search: the exact expression `keyword_ranking` repeats (English stems of `text`,
the redacted form search may see)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("corpus", "0002_encrypt_personal_data")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS customertext_fts_english ON corpus_customertext "
            "USING gin (to_tsvector('english'::regconfig, text))",
            "DROP INDEX IF EXISTS customertext_fts_english",
        ),
    ]
