"""One partial HNSW index per embedding model (see apps/embeddings/indexes.py).

Adding a model to apps/embeddings/backends.py means adding its index in a new migration; the table itself
never changes. Search queries repeat the exact cast and `model = ...` condition.
"""

from django.db import migrations

from apps.embeddings.indexes import create_sql, drop_sql

INDEXES = {"minilm-l6": 384, "use-multilingual": 512}  # frozen here: migrations must not follow later edits


class Migration(migrations.Migration):
    dependencies = [("embeddings", "0001_initial")]

    operations = [migrations.RunSQL(create_sql(model, dim), drop_sql(model)) for model, dim in INDEXES.items()]
