"""One partial HNSW index per embedding model, on the column cast to that model's dimension.

Adding a model to apps/embeddings/backends.py means adding its index here in a new migration; the
table itself never changes. Search queries repeat the exact cast and `model = ...` condition.
"""

from django.db import migrations

INDEXES = {"minilm-l6": 384, "use-multilingual": 512}


def _name(model: str) -> str:
    return "textembedding_hnsw_" + model.replace("-", "_").replace(".", "_")


class Migration(migrations.Migration):
    dependencies = [("embeddings", "0001_initial")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {_name(model)} ON embeddings_textembedding "
            f"USING hnsw ((embedding::vector({dim})) vector_cosine_ops) WITH (m = 16, ef_construction = 64) "
            f"WHERE model = '{model}'",
            f"DROP INDEX IF EXISTS {_name(model)}",
        )
        for model, dim in INDEXES.items()
    ]
