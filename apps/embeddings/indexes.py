"""The partial HNSW index of each embedding model, on the column cast to that model's dimension.

Migrations create them; big imports drop the model's index, load, and build it again in one pass
(building once is several times faster than inserting into a live HNSW graph row by row). Searches
meanwhile fall back to an exact scan: slower, never wrong.
"""

from __future__ import annotations

from django.db import connection

from .backends import MODELS

TABLE = "embeddings_textembedding"
BULK_LOAD_MIN_ROWS = 5000  # below this, inserting into the live index is cheaper than a rebuild


def index_name(model: str) -> str:
    return "textembedding_hnsw_" + model.replace("-", "_").replace(".", "_")


def create_sql(model: str, dim: int, concurrently: bool = False) -> str:
    if model not in MODELS and dim <= 0:
        raise ValueError(model)
    return (f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}IF NOT EXISTS {index_name(model)} ON {TABLE} "
            f"USING hnsw ((embedding::vector({int(dim)})) vector_cosine_ops) WITH (m = 16, ef_construction = 64) "
            f"WHERE model = '{model}'")


def drop_sql(model: str) -> str:
    return f"DROP INDEX IF EXISTS {index_name(model)}"


def drop_for_bulk_load(model: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(drop_sql(model))


def ensure(model: str) -> None:
    """Build the model's index if a bulk load dropped it (idempotent; CONCURRENTLY keeps writes flowing)."""
    dim = MODELS[model].dim
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [index_name(model)])
        if cursor.fetchone() is None:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            if connection.in_atomic_block:  # deferred FK checks of this transaction would block the build
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # CONCURRENTLY keeps writes flowing, but it cannot run inside a transaction (tests, callers' atomic).
            cursor.execute(create_sql(model, dim, concurrently=not connection.in_atomic_block))
