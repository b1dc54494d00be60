"""Search: does the right text come first, by meaning alone and with keywords fused in?

The dev set (`data/search.jsonl`) is 200 hand-written short customer texts (130 English, 70 Chinese) on 40
topics and 45 queries, each with the ids of its relevant texts: a topic's texts in both languages, or for five
exact-token queries ("SPRING20", "Pixel 7") the one text that holds the token. The texts go into a fresh
workspace with real embeddings and are searched through the product's selectors: `nearest` (semantic only, as
search was) and `hybrid_ranking` (semantic and PostgreSQL full text fused by reciprocal rank fusion, as the
search page and API rank now). Two workspaces: the multilingual model over every text and query, and the English
model (MiniLM) over the English ones. Figures per model: recall@10 and MRR@10 of each ranking, and what the
relevance floor shows: the share of shown results that are relevant and the share of relevant ones shown, with a
sweep of floors (the cosine similarity `MURMUR_SEARCH_MIN_SIMILARITY` is chosen from it). No LLM is involved.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench.quality.common import QualityContext, load_jsonl

K = 10
FLOORS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
VARIANTS = ((1.0, 0.0), (0.5, 0.0), (0.3, 0.0), (1.0, 0.5), (0.5, 0.5), (1.0, 0.66), (0.5, 0.66))
ISSUE_EXAMPLE = ("someone wants to be called back", "t001")  # "Please call me on 0775 123 456 after 5pm, …"
WORKSPACES = (("use-multilingual", ("en", "zh")), ("minilm-l6", ("en",)))


def _load() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = load_jsonl("search.jsonl")
    return [r for r in rows if "text" in r], [r for r in rows if "query" in r]


def _workspace(ctx: QualityContext, model: str, texts: list[dict[str, Any]]) -> tuple[Any, dict[int, str]]:
    """A fresh workspace on `model` holding the texts (embedded); returns it and {text pk: dev-set id}."""
    from apps.corpus.models import CustomerText
    from apps.embeddings.backends import get_backend
    from apps.embeddings.models import TextEmbedding

    workspace = ctx.workspace(f"search-{model}").workspace
    workspace.embedding_model = model
    workspace.save(update_fields=["embedding_model"])
    stored = CustomerText.objects.bulk_create([
        CustomerText(workspace=workspace, text=r["text"], original_text=r["text"], language=r["language"],
                     content_hash=r["id"], is_live=True) for r in texts])
    vectors = get_backend(model).encode([r["text"] for r in texts])
    TextEmbedding.objects.bulk_create([TextEmbedding(text=t, workspace=workspace, model=model, embedding=v)
                                       for t, v in zip(stored, vectors)])
    return workspace, {t.pk: r["id"] for t, r in zip(stored, texts)}


def _recall(ranked: list[str], relevant: set[str]) -> float:
    return len(set(ranked[:K]) & relevant) / len(relevant)


def _reciprocal_rank(ranked: list[str], relevant: set[str]) -> float:
    return next((1.0 / rank for rank, key in enumerate(ranked[:K], start=1) if key in relevant), 0.0)


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _evaluate_model(ctx: QualityContext, model: str, languages: tuple[str, ...]) -> dict[str, Any]:
    from apps.corpus.selectors import TextFilters
    from apps.search import selectors

    texts, queries = _load()
    texts = [r for r in texts if r["language"] in languages]
    kept = {r["id"] for r in texts}
    queries = [q | {"relevant": set(q["relevant"]) & kept} for q in queries if q["language"] in languages]
    queries = [q for q in queries if q["relevant"]]
    workspace, key = _workspace(ctx, model, texts)
    floor = selectors.min_similarity(model)
    per_query: list[dict[str, Any]] = []
    for q in queries:
        vector = selectors._query_vector(model, q["query"])
        semantic = [key[pk] for pk, _ in selectors.nearest(workspace, vector, K, TextFilters())]
        hybrid = selectors.hybrid_ranking(workspace, q["query"], K, TextFilters())[:K]
        deep = [pk for pk, _ in selectors.nearest(workspace, vector, selectors.MIN_CANDIDATES, TextFilters())]
        words = selectors.keyword_ranking(workspace, q["query"], selectors.MIN_CANDIDATES, TextFilters())
        variants = {f"w{weight}_s{share}": [key[pk] for pk in selectors.fuse(
            deep, [pk for pk, s in words if s >= share], weights=(1.0, weight))] for weight, share in VARIANTS}
        per_query.append({"variants": variants,
            "query": q["query"], "language": q["language"], "relevant": q["relevant"],
            "semantic": semantic, "hybrid": [key[pk] for pk, _, _ in hybrid],
            "scored": [(key[pk], sim, share) for pk, sim, share in hybrid],
        })

    def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {"queries": len(rows)}
        for name in ("semantic", "hybrid"):
            out[f"{name}_recall_at_10"] = _mean([_recall(r[name], r["relevant"]) for r in rows])
            out[f"{name}_mrr"] = _mean([_reciprocal_rank(r[name], r["relevant"]) for r in rows])
        return out

    result = figures(per_query)
    # Fusions tried (keyword weight w, least share of the query's words s): the product's pair was chosen here.
    result["variants"] = {name: {
        "recall_at_10": _mean([_recall(r["variants"][name], r["relevant"]) for r in per_query]),
        "mrr": _mean([_reciprocal_rank(r["variants"][name], r["relevant"]) for r in per_query]),
    } for name in (per_query[0]["variants"] if per_query else ())}
    if len(languages) > 1:
        result["by_language"] = {lang: figures([r for r in per_query if r["language"] == lang]) for lang in languages}

    def shown(at: float) -> dict[str, Any]:
        kept_rows = [[(tid, tid in r["relevant"]) for tid, sim, share in r["scored"]
                      if selectors.is_strong(sim, share, at)] for r in per_query]
        n_shown = sum(len(rows) for rows in kept_rows)
        relevant_shown = sum(ok for rows in kept_rows for _, ok in rows)
        relevant_in_top = sum(len(set(r["hybrid"]) & r["relevant"]) for r in per_query)
        return {"floor": at, "precision": round(relevant_shown / n_shown, 4) if n_shown else None,
                "recall": round(relevant_shown / relevant_in_top, 4) if relevant_in_top else None,
                "shown_per_query": round(n_shown / len(per_query), 2),
                "queries_with_nothing": sum(1 for rows in kept_rows if not rows)}

    result["floor"] = shown(floor)
    result["floor_sweep"] = [shown(at) for at in FLOORS]
    example = next((r for r in per_query if r["query"] == ISSUE_EXAMPLE[0]), None)
    if example:  # the query of issue #16: where its text ranks (None: not in the top 10)
        ranked = {name: example[name] for name in ("semantic", "hybrid")}
        result["issue_example_rank"] = {name: ids.index(ISSUE_EXAMPLE[1]) + 1 if ISSUE_EXAMPLE[1] in ids else None
                                        for name, ids in ranked.items()}
    result["missed"] = [r["query"] for r in per_query if _recall(r["hybrid"], r["relevant"]) < 0.5]
    return result


def evaluate(ctx: QualityContext) -> dict[str, Any]:
    figures: dict[str, Any] = {"n_texts": len(_load()[0]), "n_queries": len(_load()[1]), "llm_calls": 0}
    for model, languages in WORKSPACES:
        figures[model] = _evaluate_model(ctx, model, languages)
    return figures
