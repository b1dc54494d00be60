"""Replies JSON API: reply drafts (a job), their review and CSV export, the reply policy and knowledge snippets.
Translations and the reader's language: apps/translation/apis.py."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from apps.accounts.permissions import VIEW
from apps.core.csv import csv_safe
from apps.llm.interactive import interactive_llm
from apps.translation.apis import FiltersIn, ReplyJobAccepted
from apps.translation.apis import selection_from as _selection

from . import selectors, services
from .models import KnowledgeSnippet, ReplyDraft, ReplyPolicy, ReplyStatus

router = Router(tags=["replies"])


class RepliesIn(Schema):
    text_ids: list[int] | None = None
    filters: FiltersIn | None = None
    variants: int = 1


class DraftEdit(Schema):
    text: str


class ReplyPolicyIn(Schema):
    policy: str | None = None
    tone: str | None = None
    sign_off: str | None = None
    allowed_promises: list[str] | None = None


class SnippetIn(Schema):
    title: str
    text: str


class SnippetEdit(Schema):
    title: str | None = None
    text: str | None = None


def draft_out(d: ReplyDraft, material: dict) -> dict[str, Any]:
    text = d.text
    return {
        "id": d.pk, "text_id": d.text_id, "text": d.body, "language": d.language, "variant": d.variant,
        "customer_text": {"id": text.pk, "text": text.text, "language": text.language, "source": text.source,
                          "rating": text.rating, "posted_at": text.posted_at},
        "points": d.points, "sources": selectors.sources_out(d, material), "policy_flags": d.policy_flags,
        "moderation": {"status": d.moderation_status, "reason": d.moderation_reason, "case_id": d.moderation_case_id},
        "status": d.status, "approved": d.status == ReplyStatus.APPROVED,
        "approved_by": d.approved_by.get_username() if d.approved_by else None, "approved_at": d.approved_at,
        "edited": d.edited, "versions": len(d.history) + 1, "attempts": d.attempts, "model": d.model,
        "prompt": {"name": d.prompt, "version": d.prompt_version}, "seed": d.seed,
        "job_id": str(d.job_id) if d.job_id else None, "created_at": d.created_at, "updated_at": d.updated_at,
    }


def _one(request: HttpRequest, draft: ReplyDraft) -> dict[str, Any]:
    draft = selectors.get_draft(request.auth.workspace, draft.pk) or draft
    return draft_out(draft, selectors.source_material(request.auth.workspace, [draft]))


def policy_out(policy: ReplyPolicy) -> dict[str, Any]:
    return {**services.policy_snapshot(policy), "updated_at": policy.updated_at}


def snippet_out(snippet: KnowledgeSnippet) -> dict[str, Any]:
    return {"id": snippet.pk, "title": snippet.title, "text": snippet.body, "updated_at": snippet.updated_at}


# --- reply drafts ------------------------------------------------------------------------------------------

@router.post("/replies", response={202: ReplyJobAccepted})
def create_drafts(request: HttpRequest, payload: RepliesIn):
    selection = _selection(payload.text_ids, payload.filters)
    job = services.start_drafts(request.auth, selection, payload.variants)
    return 202, {"job_id": job.pk, "texts": job.total}


@router.get("/replies")
def list_drafts(request: HttpRequest, text_id: int | None = None, status: str | None = None,
                job_id: UUID | None = None, limit: int = 50, offset: int = 0):
    if not 1 <= limit <= 200 or offset < 0:
        raise HttpError(400, "limit must be 1..200 and offset >= 0.")
    if status and status not in ReplyStatus.values:
        raise HttpError(400, f"status must be one of {', '.join(ReplyStatus.values)}.")
    count, items = selectors.drafts(request.auth.workspace, text_id=text_id, status=status, job_id=job_id,
                                    limit=limit, offset=offset)
    material = selectors.source_material(request.auth.workspace, items)
    return {"count": count, "results": [draft_out(d, material) for d in items]}



@router.get("/replies/export.csv")
def export_csv(request: HttpRequest, status: str = ReplyStatus.APPROVED):
    """Approved replies (or every draft with status=all) with the text each answers, for posting elsewhere."""
    request.auth.require(VIEW)
    if status != "all" and status not in ReplyStatus.values:
        raise HttpError(400, f"status must be all or one of {', '.join(ReplyStatus.values)}.")
    if status == ReplyStatus.APPROVED:
        items = selectors.approved_replies(request.auth.workspace)
    else:
        _, items = selectors.drafts(request.auth.workspace, status=None if status == "all" else status, limit=10_000)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["reply_id", "text_id", "source", "posted_at", "rating", "customer_language", "customer_text",
                     "reply_language", "reply", "status", "moderation", "approved_by", "approved_at", "policy_flags",
                     "source_text_ids", "source_snippet_ids", "source_reply_ids", "model", "prompt"])
    for d in items:
        sources = d.sources or {}
        writer.writerow([csv_safe("" if x is None else x) for x in (
            d.pk, d.text_id, d.text.source, d.text.posted_at.date().isoformat() if d.text.posted_at else "",
            d.text.rating, d.text.language, d.text.text, d.language, d.body, d.status, d.moderation_status,
            d.approved_by.get_username() if d.approved_by else "",
            d.approved_at.isoformat(timespec="seconds") if d.approved_at else "",
            " | ".join(f"{f['kind']}: {f['text']}" for f in d.policy_flags),
            " ".join(map(str, sources.get("texts", []))), " ".join(map(str, sources.get("snippets", []))),
            " ".join(map(str, sources.get("replies", []))), d.model, f"{d.prompt} v{d.prompt_version}")])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="murmur-replies-{status}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese replies) only with a BOM
    response.write(buffer.getvalue())
    return response


@router.get("/replies/{draft_id}")
def draft_detail(request: HttpRequest, draft_id: int):
    draft = selectors.get_draft(request.auth.workspace, draft_id)
    if draft is None:
        raise HttpError(404, "No such reply draft in this workspace.")
    return _one(request, draft)


@router.patch("/replies/{draft_id}")
def edit_draft(request: HttpRequest, draft_id: int, payload: DraftEdit):
    with interactive_llm(request.auth.user):  # the judge of the edit: bounded, else a person decides
        draft = services.edit_draft(request.auth, draft_id, payload.text)
    return _one(request, draft)


@router.post("/replies/{draft_id}/approve")
def approve_draft(request: HttpRequest, draft_id: int):
    return _one(request, services.approve_draft(request.auth, draft_id))


@router.post("/replies/{draft_id}/reject")
def reject_draft(request: HttpRequest, draft_id: int):
    return _one(request, services.reject_draft(request.auth, draft_id))


# --- policy and knowledge ----------------------------------------------------------------------------------

@router.get("/reply-policy")
def get_policy(request: HttpRequest):
    return policy_out(selectors.reply_policy(request.auth.workspace))


@router.put("/reply-policy")
def put_policy(request: HttpRequest, payload: ReplyPolicyIn):
    return policy_out(services.update_policy(request.auth, **payload.dict()))


@router.get("/knowledge")
def list_snippets(request: HttpRequest):
    return {"results": [snippet_out(s) for s in selectors.snippets(request.auth.workspace)]}


@router.post("/knowledge", response={201: dict})
def add_snippet(request: HttpRequest, payload: SnippetIn):
    return 201, snippet_out(services.add_snippet(request.auth, payload.title, payload.text))


@router.put("/knowledge/{snippet_id}")
def edit_snippet(request: HttpRequest, snippet_id: int, payload: SnippetEdit):
    return snippet_out(services.update_snippet(request.auth, snippet_id, title=payload.title,
                             body=payload.text))


@router.delete("/knowledge/{snippet_id}", response={204: None})
def delete_snippet(request: HttpRequest, snippet_id: int):
    services.delete_snippet(request.auth, snippet_id)
    return 204, None

