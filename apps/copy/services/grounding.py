"""What copy is grounded in: the customer quotes nearest the brief (pgvector search over texts moderation
cleared, else the newest cleared texts) and the latest analysis's findings that overlap it."""

from __future__ import annotations

from apps.accounts.models import Workspace
from apps.corpus.models import CustomerText
from apps.corpus.tokens import content_tokens, normalise
from apps.insights import selectors as insights
from apps.insights.models import InsightKind
from apps.moderation.selectors import analysable_texts
from apps.search.selectors import semantic_search

from .brief import Brief

QUOTES_IN_PROMPT = 8
QUOTE_CHARS = 240
THEMES_IN_PROMPT = 4
SEARCH_K = 32


def ground(workspace: Workspace, brief: Brief) -> dict:
    """The customer quotes and analysis themes relevant to the brief. Only texts moderation cleared."""
    query = " ".join(part for part in (brief.product, brief.audience, brief.goal, brief.key_message) if part)
    cleared = analysable_texts(workspace)
    hits = semantic_search(workspace, query, k=SEARCH_K)
    allowed = set(cleared.filter(pk__in=[h.text.pk for h in hits]).values_list("pk", flat=True))
    quotes: list[dict] = []
    seen: set[str] = set()
    for hit in hits:
        key = normalise(hit.text.text)[:120]
        if hit.text.pk in allowed and key not in seen:
            seen.add(key)
            quotes.append(_quote(hit.text, round(hit.score, 4)))
        if len(quotes) >= QUOTES_IN_PROMPT:
            break
    notes = []
    if not quotes:  # nothing embedded yet: fall back to the newest cleared texts
        notes.append("No embedded texts matched the brief yet; the newest cleared texts were used instead.")
        quotes = [_quote(t, None) for t in cleared.order_by("-posted_at", "-pk")[:QUOTES_IN_PROMPT]]
    themes, extra = _themes_for(workspace, query, cleared)
    have = {q["id"] for q in quotes}
    quotes += [q for q in extra if q["id"] not in have][: max(0, QUOTES_IN_PROMPT + 2 - len(quotes))]
    return {"query": query, "quotes": quotes, "themes": themes, "notes": notes}


def _quote(text: CustomerText, score: float | None) -> dict:
    return {"id": text.pk, "text": text.text[:QUOTE_CHARS], "language": text.language, "score": score}


def _themes_for(workspace: Workspace, query: str, cleared) -> tuple[list[dict], list[dict]]:
    """Findings of the latest analysis that overlap the brief most (praise, pain points, requests), and a
    quote of each as extra material."""
    run = insights.latest_run(workspace)
    if run is None:
        return [], []
    kinds = (InsightKind.PRAISE, InsightKind.PAIN_POINT, InsightKind.FEATURE_REQUEST, InsightKind.OPPORTUNITY)
    items = [i for i in insights.insights(run) if i.kind in kinds and i.evidence]
    wanted = content_tokens(query)
    items.sort(key=lambda i: (-len(wanted & content_tokens(f"{i.title} {i.detail}")), kinds.index(i.kind),
                              i.position))
    chosen = items[:THEMES_IN_PROMPT]
    cleared_ids = set(cleared.filter(pk__in={e for i in chosen for e in i.evidence}).values_list("pk", flat=True))
    themes = [{"kind": i.kind, "title": i.title, "detail": i.detail[:200],
               "evidence": [e for e in i.evidence if e in cleared_ids]} for i in chosen]
    first = [t["evidence"][0] for t in themes if t["evidence"]]
    texts = {t.pk: t for t in cleared.filter(pk__in=first)}
    extra = [_quote(texts[e], None) for e in first if e in texts]
    return themes, extra
