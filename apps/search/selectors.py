"""Semantic search over a workspace's texts with pgvector.

Each embedding model has a partial HNSW index on `embedding::vector(dim)`; queries repeat that exact
expression and `model = …` so the planner uses it. Iterative index scans (pgvector >= 0.8) keep
filtered searches (one workspace, a language, a date range) from returning fewer than k results.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.core.cache import cache
from django.db import connection, transaction

from apps.accounts.models import Workspace
from apps.corpus.models import CustomerText
from apps.corpus.selectors import TextFilters, live_texts
from apps.embeddings.backends import get_backend, spec
from apps.embeddings.models import TextEmbedding

EF_SEARCH = 100
QUERY_VECTOR_TTL_S = 24 * 3600


@dataclass(frozen=True)
class Hit:
    text: CustomerText
    score: float


def _vector_literal(vector) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


def nearest(workspace: Workspace, vector, k: int, filters: TextFilters, exclude_id: int | None = None,
            exact: bool = False) -> list[tuple[int, float]]:
    """(text id, cosine similarity) of the k nearest live texts. `exact` skips the index (for recall checks)."""
    model_name = workspace.embedding_model
    dim = int(spec(model_name).dim)  # an int from our registry, safe to format into SQL
    candidate_ids = filters.apply(live_texts(workspace)).values("pk")
    inner, params = candidate_ids.query.sql_with_params()
    sql = f"""
        SELECT e.text_id, 1 - (e.embedding::vector({dim}) <=> %s::vector({dim})) AS score
        FROM {TextEmbedding._meta.db_table} e
        WHERE e.model = %s AND e.workspace_id = %s AND e.text_id IN ({inner}) AND e.text_id <> %s
        ORDER BY e.embedding::vector({dim}) <=> %s::vector({dim})
        LIMIT %s
    """
    literal = _vector_literal(vector)
    with transaction.atomic(), connection.cursor() as cursor:
        if exact:
            cursor.execute("SET LOCAL enable_indexscan = off")
        else:
            cursor.execute("SELECT set_config('hnsw.ef_search', %s, true), "
                           "set_config('hnsw.iterative_scan', 'relaxed_order', true)", [str(EF_SEARCH)])
        cursor.execute(sql, [literal, model_name, workspace.pk, *params, exclude_id or -1, literal, k])
        rows = cursor.fetchall()
    return sorted(((int(pk), float(score)) for pk, score in rows), key=lambda r: -r[1])


def _hits(workspace: Workspace, scored: list[tuple[int, float]]) -> list[Hit]:
    texts = {t.pk: t for t in live_texts(workspace).filter(pk__in=[pk for pk, _ in scored])}
    return [Hit(texts[pk], score) for pk, score in scored if pk in texts]


@lru_cache(maxsize=4096)
def _query_vector(model_name: str, query: str) -> tuple[float, ...]:
    """Encoding a query costs far more than the database lookup, and people repeat searches: recent query
    vectors are kept in this process and, for every other web process, in the shared Redis cache."""
    key = f"murmur:query-vector:{model_name}:{hashlib.sha256(query.encode()).hexdigest()}"
    try:
        cached = cache.get(key)
    except Exception:  # the cache is an optimisation: search works without Redis
        cached = None
    if cached is not None:
        return tuple(np.frombuffer(cached, dtype=np.float32).tolist())
    vector = np.asarray(get_backend(model_name).encode([query])[0], dtype=np.float32)
    with contextlib.suppress(Exception):
        cache.set(key, vector.tobytes(), QUERY_VECTOR_TTL_S)
    return tuple(vector.tolist())


def semantic_search(workspace: Workspace, query: str, k: int = 10, filters: TextFilters | None = None) -> list[Hit]:
    query = query.strip()
    if not query:
        return []
    vector = _query_vector(workspace.embedding_model, query)
    return _hits(workspace, nearest(workspace, vector, k, filters or TextFilters()))


def more_like_this(workspace: Workspace, text_id: int, k: int = 10) -> list[Hit] | None:
    """Texts nearest to the given one; None when the text is not in the workspace or not yet embedded."""
    row = (
        TextEmbedding.objects.filter(workspace=workspace, text_id=text_id, model=workspace.embedding_model,
                                     text__is_live=True)
        .values_list("embedding", flat=True)
        .first()
    )
    if row is None:
        return None
    return _hits(workspace, nearest(workspace, row, k, TextFilters(), exclude_id=text_id))
