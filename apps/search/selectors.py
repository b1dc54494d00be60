"""Search over a workspace's texts: semantic (pgvector), keyword (PostgreSQL full text) and both fused.

`search` is what the search page and `GET /api/v1/search` use: the semantic and the keyword ranking of the same
candidates (the workspace's live texts under the caller's filters, hidden ones already left out for viewers) fused
by reciprocal rank fusion, then cut at a relevance floor: a result is shown when its cosine similarity reaches the
model's `MURMUR_SEARCH_MIN_SIMILARITY` or it holds two thirds of the query's words; the rest are "weaker matches",
counted and shown on request. When nothing reaches the floor, the closest few are shown anyway, each marked weak: a
query phrased unlike the texts ("someone wants to be called back") still finds "please call me", and the page says
the match is weak instead of saying there is nothing. Keyword matching runs on `text`, the cleaned and redacted form
(never the encrypted original): English words are stemmed (`search_vector`, a column PostgreSQL generates as
`to_tsvector('english', text)` when a text is written, with a GIN index: search's migrations); Chinese, which has
no spaces between words, matches by the query's character bigrams. Measured on the labelled set in
`bench/quality/search.py`.

Each embedding model has a partial HNSW index on `embedding::vector(dim)`; queries repeat that exact
expression and `model = …` so the planner uses it. Iterative index scans (pgvector >= 0.8) keep
filtered searches (one workspace, a language, a date range) from returning fewer than k results.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from apps.accounts.models import Workspace
from apps.corpus.models import CustomerText
from apps.corpus.selectors import TextFilters, live_texts
from apps.embeddings.backends import get_backend, spec
from apps.embeddings.models import TextEmbedding

EF_SEARCH = 100
QUERY_VECTOR_TTL_S = 24 * 3600
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al. 2009): 1 / (RRF_K + rank)
MIN_CANDIDATES = 50  # each ranking contributes at least this many texts to the fusion
MAX_QUERY_TERMS = 24
KEYWORD_WEIGHT = 1.0  # the keyword ranking's weight in the fusion (the semantic one's is 1)
# Keyword matches enter the fusion, and pass the relevance floor whatever their similarity, only when they hold
# two thirds of the query's words (a code, a name, most of a phrase): fused with every partial match (a query's
# commonest word), hybrid ranked worse than semantic alone on the labelled set (bench/quality/search.py).
KEYWORD_MIN_SHARE = 0.66
WEAK_FALLBACK = 3  # shown, marked weak, when no result reaches the floor
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True)
class Hit:
    text: CustomerText
    score: float | None  # cosine similarity; None for a text found by its words that has no embedding yet
    keyword_share: float = 0.0  # the share of the query's words (stems, Chinese bigrams) the text holds
    weak: bool = False  # below the relevance floor: shown on request, or because nothing closer was found


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    weaker: int  # results below the relevance floor left out (0 when they were asked for)


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


def min_similarity(model_name: str) -> float:
    """The relevance floor of a model's cosine similarities (each model spreads its scores differently)."""
    return float(settings.MURMUR_SEARCH_MIN_SIMILARITY.get(model_name, 0.0))


def _cjk_bigrams(query: str) -> list[str]:
    grams: list[str] = []
    for run in CJK.findall(query):
        grams += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
    return list(dict.fromkeys(grams))


def query_terms(query: str) -> tuple[list[str], list[str]]:
    """(English stems, Chinese character bigrams) of a query, stop words left out, at most MAX_QUERY_TERMS."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, %s)) ORDER BY lexeme",
                       [CJK.sub(" ", query)])
        stems = [row[0] for row in cursor.fetchall()]
    return stems[:MAX_QUERY_TERMS], _cjk_bigrams(query)[:MAX_QUERY_TERMS]


def keyword_ranking(workspace: Workspace, query: str, k: int, filters: TextFilters) -> list[tuple[int, float]]:
    """(text id, share of the query's words it holds) of the k best keyword matches among the live texts, best
    first (ties broken by ts_rank, then the shorter text)."""
    stems, grams = query_terms(query)
    if not stems and not grams:
        return []
    candidate_ids = filters.apply(live_texts(workspace)).values("pk")
    inner, params = candidate_ids.query.sql_with_params()
    vector = "t.search_vector"  # stored: stemming every candidate per query word cost more than a core under load
    stem_query = " || ".join(["plainto_tsquery('simple', %s)"] * len(stems))
    matches = [f"({vector} @@ plainto_tsquery('simple', %s))::int" for _ in stems]
    matches += ["(strpos(t.text, %s) > 0)::int" for _ in grams]
    found = [f"{vector} @@ ({stem_query})"] if stems else []
    found += ["strpos(t.text, %s) > 0" for _ in grams]
    rank = f"ts_rank({vector}, {stem_query})" if stems else "0"
    sql = f"""
        SELECT t.id, ({" + ".join(matches)})::float / %s AS share, {rank} AS rank
        FROM {CustomerText._meta.db_table} t
        WHERE t.id IN ({inner}) AND ({" OR ".join(found)})
        ORDER BY share DESC, rank DESC, length(t.text), t.id
        LIMIT %s
    """
    args = [*stems, *grams, len(stems) + len(grams), *(stems if stems else []), *params, *stems, *grams, k]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [(int(pk), float(share)) for pk, share, _ in cursor.fetchall()]


def similarities(workspace: Workspace, vector, text_ids: list[int]) -> dict[int, float]:
    """Cosine similarity of the query vector to the given texts (those embedded with the workspace's model)."""
    if not text_ids:
        return {}
    dim = int(spec(workspace.embedding_model).dim)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT text_id, 1 - (embedding::vector({dim}) <=> %s::vector({dim})) "
            f"FROM {TextEmbedding._meta.db_table} WHERE model = %s AND workspace_id = %s AND text_id = ANY(%s)",
            [_vector_literal(vector), workspace.embedding_model, workspace.pk, list(text_ids)])
        return {int(pk): float(score) for pk, score in cursor.fetchall()}


def fuse(*rankings: list[int], weights: tuple[float, ...] | None = None) -> list[int]:
    """Reciprocal rank fusion: each ranking gives a text weight / (RRF_K + rank); the sum orders the texts."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or (1.0,) * len(rankings)):
        for rank, pk in enumerate(ranking, start=1):
            scores[pk] = scores.get(pk, 0.0) + weight / (RRF_K + rank)
    return sorted(scores, key=lambda pk: -scores[pk])


def hybrid_ranking(workspace: Workspace, query: str, k: int, filters: TextFilters
                   ) -> list[tuple[int, float | None, float]]:
    """(text id, cosine similarity, keyword share) of the fused semantic and keyword rankings, best first."""
    depth = max(2 * k, MIN_CANDIDATES)
    vector = _query_vector(workspace.embedding_model, query)
    semantic = nearest(workspace, vector, depth, filters)
    keyword = keyword_ranking(workspace, query, depth, filters)
    similarity = dict(semantic)
    shares = dict(keyword)
    similarity |= similarities(workspace, vector, [pk for pk in shares if pk not in similarity])
    order = fuse([pk for pk, _ in semantic], [pk for pk, share in keyword if share >= KEYWORD_MIN_SHARE],
                 weights=(1.0, KEYWORD_WEIGHT))
    return [(pk, similarity.get(pk), shares.get(pk, 0.0)) for pk in order]


def is_strong(similarity: float | None, keyword_share: float, floor: float) -> bool:
    return (similarity is not None and similarity >= floor) or keyword_share >= KEYWORD_MIN_SHARE


def search(workspace: Workspace, query: str, k: int = 10, filters: TextFilters | None = None,
           include_weaker: bool = False) -> SearchResult:
    """The search page's and the API's search: hybrid ranking, weaker matches left out unless asked for."""
    query = query.strip()
    if not query:
        return SearchResult([], 0)
    ranked = hybrid_ranking(workspace, query, k, filters or TextFilters())
    floor = min_similarity(workspace.embedding_model)
    strong = [row for row in ranked if is_strong(row[1], row[2], floor)]
    shown = ranked[:k] if include_weaker else (strong[:k] or ranked[:min(k, WEAK_FALLBACK)])
    weaker = len([row for row in ranked[:k] if row not in shown])
    texts = {t.pk: t for t in live_texts(workspace).filter(pk__in=[pk for pk, _, _ in shown])}
    return SearchResult([Hit(texts[pk], sim, share, weak=not is_strong(sim, share, floor))
                         for pk, sim, share in shown if pk in texts], weaker)
