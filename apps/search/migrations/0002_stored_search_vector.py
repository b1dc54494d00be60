"""Keyword search reads a stored tsvector instead of computing one per row and per query word.

`keyword_ranking` tests every query word against every candidate text and ranks the matches. Over the expression
index each of those tests ran `to_tsvector('english', text)` again (stemming the whole text), and under
`make loadtest` PostgreSQL spent more than one of the two cores doing that. A generated column is computed once,
when the text is written (PostgreSQL keeps it in step with `text`), and the GIN index moves onto it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("search", "0001_text_search_index"), ("corpus", "0004_keyed_digests")]

    operations = [
        migrations.RunSQL(
            [
                "ALTER TABLE corpus_customertext ADD COLUMN search_vector tsvector "
                "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED",
                "CREATE INDEX customertext_search_vector ON corpus_customertext USING gin (search_vector)",
                "DROP INDEX IF EXISTS customertext_fts_english",
            ],
            [
                "CREATE INDEX IF NOT EXISTS customertext_fts_english ON corpus_customertext "
                "USING gin (to_tsvector('english'::regconfig, text))",
                "ALTER TABLE corpus_customertext DROP COLUMN search_vector",
            ],
        ),
    ]
