"""What a draft may draw on: the nearest texts by meaning (pgvector) that moderation cleared, approved
replies to them, the knowledge snippets nearest in meaning, and the brand voice with the policy's tone."""

from __future__ import annotations

import logging

import numpy as np

from apps.accounts.models import Workspace
from apps.copy.selectors import brand_voice as copy_brand_voice
from apps.corpus.models import CustomerText
from apps.corpus.selectors import TextFilters
from apps.corpus.tokens import content_tokens
from apps.embeddings.backends import get_backend
from apps.embeddings.models import TextEmbedding
from apps.moderation.selectors import analysable_texts
from apps.search.selectors import nearest
from apps.translation.selectors import text_hash
from apps.translation.services.languages import reply_language

from .. import checks
from ..models import KnowledgeSnippet, ReplyDraft, ReplyPolicy, ReplyStatus

logger = logging.getLogger(__name__)

# Prompt budget: the test model serves a 2048-token context, so the material is kept short.
SEARCH_K = 24
SIMILAR_IN_PROMPT = 2
EARLIER_IN_PROMPT = 2
SNIPPETS_IN_PROMPT = 3
SNIPPET_MIN_SCORE = 0.25
QUOTE_CHARS = 200
SNIPPET_CHARS = 300
EARLIER_CHARS = 300


def _text_vector(workspace: Workspace, text_id: int):
    return (TextEmbedding.objects.filter(workspace=workspace, text_id=text_id, model=workspace.embedding_model)
            .values_list("embedding", flat=True).first())


def embed_snippets(workspace: Workspace, snippets: list[KnowledgeSnippet]) -> None:
    """Vectors for snippets that have none for the workspace's model (or changed since). Ranking falls back to
    shared words when the embedding model cannot be loaded, so drafting never fails because of it."""
    model = workspace.embedding_model
    stale = [s for s in snippets if not s.embedding or s.embedding_model != model
             or s.embedded_hash != text_hash(f"{s.title}\n{s.body}")]
    if not stale:
        return
    try:
        vectors = get_backend(model).encode([f"{s.title}\n{s.body}" for s in stale])
    except Exception:  # noqa: BLE001  (a missing model must not stop drafting; it is logged)
        logger.exception("could not embed %d knowledge snippets of workspace %s with %s", len(stale),
                         workspace.pk, model)
        return
    for snippet, vector in zip(stale, vectors, strict=True):
        snippet.embedding = [round(float(x), 6) for x in vector]
        snippet.embedding_model = model
        snippet.embedded_hash = text_hash(f"{snippet.title}\n{snippet.body}")
    KnowledgeSnippet.objects.bulk_update(stale, ["embedding", "embedding_model", "embedded_hash"])


def rank_snippets(workspace: Workspace, snippets: list[KnowledgeSnippet], text: str, vector) -> list[KnowledgeSnippet]:
    """The snippets nearest the text in meaning (cosine of the stored vectors), nudged by shared words."""
    words = content_tokens(text)
    query = np.asarray(vector, dtype=np.float32) if vector is not None else None
    scored = []
    for snippet in snippets:
        score = 0.0
        if query is not None and snippet.embedding and snippet.embedding_model == workspace.embedding_model:
            other = np.asarray(snippet.embedding, dtype=np.float32)
            if other.shape == query.shape:
                score = float(np.dot(query, other))
        score += min(0.3, 0.1 * len(words & content_tokens(f"{snippet.title} {snippet.body}")))
        if score >= SNIPPET_MIN_SCORE:
            scored.append((score, snippet))
    scored.sort(key=lambda s: (-s[0], s[1].pk))
    return [s for _, s in scored[:SNIPPETS_IN_PROMPT]]


def ground(workspace: Workspace, text: CustomerText, snippets: list[KnowledgeSnippet]) -> dict:
    """What a draft for `text` may draw on, each item with the "ref" the model cites it by."""
    vector = _text_vector(workspace, text.pk)
    similar: list[dict] = []
    earlier: list[dict] = []
    if vector is not None:
        ranked = [pk for pk, _ in nearest(workspace, vector, SEARCH_K, TextFilters(), exclude_id=text.pk)]
        cleared = {t.pk: t for t in analysable_texts(workspace).filter(pk__in=ranked)}
        similar = [{"ref": f"text:{pk}", "text": cleared[pk].text[:QUOTE_CHARS]} for pk in ranked
                   if pk in cleared][:SIMILAR_IN_PROMPT]
        rank = {pk: i for i, pk in enumerate(ranked)}
        approved = sorted(ReplyDraft.objects.filter(workspace=workspace, status=ReplyStatus.APPROVED,
                                                    text_id__in=ranked).select_related("text"),
                          key=lambda d: (d.language != reply_language(text), rank[d.text_id], -d.pk))
        seen: set[int] = set()
        for draft in approved:
            if draft.text_id not in seen and len(earlier) < EARLIER_IN_PROMPT:
                seen.add(draft.text_id)
                earlier.append({"ref": f"reply:{draft.pk}", "customer_text": draft.text.text[:QUOTE_CHARS],
                                "reply": draft.body[:EARLIER_CHARS]})
    knowledge = [{"ref": f"snippet:{s.pk}", "title": s.title, "text": s.body[:SNIPPET_CHARS]}
                 for s in rank_snippets(workspace, snippets, text.text, vector)]
    return {"knowledge": knowledge, "similar_texts": similar, "earlier_replies": earlier}


def voice_for(workspace: Workspace, policy: ReplyPolicy) -> dict:
    """The copy studio's brand voice (read only) with the reply policy's tone: how a reply should sound."""
    voice = copy_brand_voice(workspace)
    return {"formality": voice.formality, "playfulness": voice.playfulness, "enthusiasm": voice.enthusiasm,
            "reading_level": voice.reading_level, "words_to_use": list(voice.words_to_use or []),
            "words_to_avoid": list(voice.words_to_avoid or []), "tone": policy.tone}


def allowed_for(text: CustomerText, policy: ReplyPolicy, snippets: list[KnowledgeSnippet],
                voice: dict) -> checks.Allowed:
    """What a reply to `text` may rely on: this customer's own words (never other customers'), the policy and
    every knowledge snippet of the workspace."""
    return checks.allowed_from(
        customer_text=text.text, policy_text=policy.policy, allowed_promises=policy.allowed_promises or [],
        knowledge=[f"{s.title}\n{s.body}" for s in snippets],
        extra_facts=[policy.sign_off, *([f"{text.rating} stars"] if text.rating else [])],
        banned_words=voice.get("words_to_avoid", []))
