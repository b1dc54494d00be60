from __future__ import annotations

from dataclasses import replace

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from apps.corpus.apis import TextFilterParams, TextOut, texts_out
from apps.corpus.selectors import sees_hidden

from . import selectors

router = Router(tags=["search"])


class SearchHit(TextOut):
    score: float | None  # cosine similarity to the query (None: found by its words, not embedded yet)
    keyword_share: float = 0.0  # the share of the query's words the text holds
    weak: bool = False  # below the relevance floor: asked for (include_weaker), or nothing closer was found


class SearchResults(Schema):
    query: str
    results: list[SearchHit]
    weaker: int = 0  # results below the relevance floor left out: ask again with include_weaker=true


def _out(request: HttpRequest, hits: list[selectors.Hit]) -> list[dict]:
    rows = texts_out(request.auth, [hit.text for hit in hits])
    return [{**row, "score": None if hit.score is None else round(hit.score, 4),
             "keyword_share": round(hit.keyword_share, 4), "weak": hit.weak} for row, hit in zip(rows, hits)]


@router.get("/search", response=SearchResults)
def search(request: HttpRequest, q: str, filters: Query[TextFilterParams], k: int = 10,
           include_weaker: bool = False):
    """Semantic and keyword ranking fused; results below the relevance floor are left out (counted in `weaker`)
    unless `include_weaker`. When none reaches it, the closest three are returned with `weak: true`."""
    if not 1 <= k <= 100:
        raise HttpError(400, "k must be between 1 and 100.")
    if len(q) > 1000:
        raise HttpError(400, "The query is too long (1000 characters at most).")
    # Viewers never get hidden or rejected texts, in search as in lists.
    text_filters = replace(filters.to_filters(), include_hidden=sees_hidden(request.auth))
    result = selectors.search(request.auth.workspace, q, k, text_filters, include_weaker=include_weaker)
    return {"query": q, "results": _out(request, result.hits), "weaker": result.weaker}


@router.get("/texts/{text_id}/similar", response=SearchResults)
def similar(request: HttpRequest, text_id: int, k: int = 10):
    if not 1 <= k <= 100:
        raise HttpError(400, "k must be between 1 and 100.")
    hits = selectors.more_like_this(request.auth.workspace, text_id, k)
    if hits is None:
        raise HttpError(404, "No such text in this workspace, or it is not embedded yet.")
    return {"query": f"similar to #{text_id}", "results": _out(request, hits)}
