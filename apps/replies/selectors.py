"""Reads of replies. Every function takes the workspace: nothing reads across workspaces. The reading language
and the texts a job may choose (`select_texts`) are translation's (apps/translation/selectors.py)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from apps.accounts.models import Workspace
from apps.corpus.selectors import texts_by_ids

from . import checks
from .models import KnowledgeSnippet, ReplyDraft, ReplyPolicy, ReplyStatus


def reply_policy(workspace: Workspace) -> ReplyPolicy:
    """The stored policy, or an unsaved empty one (reading never writes)."""
    return ReplyPolicy.objects.filter(workspace=workspace).first() or ReplyPolicy(workspace=workspace)


def snippets(workspace: Workspace) -> list[KnowledgeSnippet]:
    return list(KnowledgeSnippet.objects.filter(workspace=workspace).order_by("title", "pk"))


def get_snippet(workspace: Workspace, snippet_id: int) -> KnowledgeSnippet | None:
    return KnowledgeSnippet.objects.filter(workspace=workspace, pk=snippet_id).first()


# --- choosing texts ---------------------------------------------------------------------------------------

def parse_date(value: str | date | None) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# --- drafts -----------------------------------------------------------------------------------------------

def drafts(workspace: Workspace, *, text_id: int | None = None, status: str | None = None,
           job_id: UUID | str | None = None, limit: int = 100, offset: int = 0) -> tuple[int, list[ReplyDraft]]:
    qs = ReplyDraft.objects.filter(workspace=workspace, text__is_live=True)
    if text_id is not None:
        qs = qs.filter(text_id=text_id)
    if status:
        qs = qs.filter(status=status)
    if job_id:
        qs = qs.filter(job_id=job_id)
    qs = qs.select_related("text", "approved_by").order_by("-created_at", "text_id", "variant")
    return qs.count(), list(qs[offset:offset + limit])


def get_draft(workspace: Workspace, draft_id: int) -> ReplyDraft | None:
    return (ReplyDraft.objects.filter(workspace=workspace, pk=draft_id, text__is_live=True)
            .select_related("text", "approved_by").first())


def approved_replies(workspace: Workspace) -> list[ReplyDraft]:
    return list(ReplyDraft.objects.filter(workspace=workspace, status=ReplyStatus.APPROVED, text__is_live=True)
                .select_related("text", "approved_by").order_by("approved_at", "pk"))


def source_material(workspace: Workspace, items: list[ReplyDraft]) -> dict[str, dict[int, object]]:
    """The texts, snippets and earlier replies the drafts cite (only those still in the workspace)."""
    ids = {kind: sorted({i for d in items for i in (d.sources or {}).get(kind, [])})
           for kind in ("texts", "snippets", "replies")}
    return {
        "texts": texts_by_ids(workspace, ids["texts"]),
        "snippets": {s.pk: s for s in KnowledgeSnippet.objects.filter(workspace=workspace, pk__in=ids["snippets"])},
        "replies": {r.pk: r for r in ReplyDraft.objects.filter(workspace=workspace, pk__in=ids["replies"])},
    }


def sources_out(draft: ReplyDraft, material: dict[str, dict[int, object]]) -> dict[str, list[dict]]:
    sources = draft.sources or {}
    texts, snippets_, replies = material["texts"], material["snippets"], material["replies"]
    return {
        "texts": [{"id": i, "text": texts[i].text, "language": texts[i].language}
                  for i in sources.get("texts", []) if i in texts],
        "snippets": [{"id": i, "title": snippets_[i].title, "text": snippets_[i].body}
                     for i in sources.get("snippets", []) if i in snippets_],
        "replies": [{"id": i, "text": replies[i].body, "text_id": replies[i].text_id}
                    for i in sources.get("replies", []) if i in replies],
    }


def draft_view(draft: ReplyDraft, material: dict[str, dict[int, object]]) -> dict:
    """What a page shows of a draft: the body cut into plain and flagged pieces (templates escape them)."""
    return {"draft": draft, "segments": checks.segments(draft.body, draft.policy_flags),
            "sources": sources_out(draft, material)}

