"""The privacy API: owners only (MANAGE). `request.auth` is a WorkspaceContext."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import MANAGE

from . import selectors, services
from .models import PrivacyAuditEntry, WorkspaceExport

router = Router(tags=["privacy"])
PREVIEW_LIMIT = 200


def _owner(request: HttpRequest) -> WorkspaceContext:
    ctx: WorkspaceContext = request.auth
    ctx.require(MANAGE)
    return ctx


class AuditEntryOut(Schema):
    id: int
    action: str
    action_label: str
    actor: str
    detail: dict[str, Any]
    created_at: datetime


class AuditPage(Schema):
    count: int
    results: list[AuditEntryOut]


def audit_out(entry: PrivacyAuditEntry) -> dict[str, Any]:
    return {"id": entry.pk, "action": entry.action, "action_label": entry.get_action_display(),
            "actor": entry.actor_name, "detail": entry.detail, "created_at": entry.created_at}


@router.get("/privacy/audit", response=AuditPage)
def audit(request: HttpRequest, limit: int = 100, offset: int = 0):
    ctx = _owner(request)
    if not 1 <= limit <= 500 or offset < 0:
        raise HttpError(400, "limit must be 1..500 and offset >= 0.")
    count, entries = selectors.audit_log(ctx.workspace, limit=limit, offset=offset)
    return {"count": count, "results": [audit_out(e) for e in entries]}


class RetentionIn(Schema):
    original_days: int | None = None


class RetentionOut(Schema):
    original_days: int | None
    last_purged_at: datetime | None


@router.get("/privacy/retention", response=RetentionOut)
def get_retention(request: HttpRequest):
    policy = selectors.retention_policy(_owner(request).workspace)
    return {"original_days": policy.original_days if policy else None,
            "last_purged_at": policy.last_purged_at if policy else None}


@router.put("/privacy/retention", response=RetentionOut)
def put_retention(request: HttpRequest, payload: RetentionIn):
    policy = services.set_retention(_owner(request), payload.original_days)
    return {"original_days": policy.original_days, "last_purged_at": policy.last_purged_at}


class ExportIn(Schema):
    include_originals: bool = False


class ExportAccepted(Schema):
    export_id: int
    job_id: UUID


class ExportOut(Schema):
    id: int
    job_id: UUID
    status: str
    include_originals: bool
    size_bytes: int
    created_at: datetime
    download_url: str | None


def export_out(export: WorkspaceExport) -> dict[str, Any]:
    return {"id": export.pk, "job_id": export.job_id, "status": export.job.status,
            "include_originals": export.include_originals, "size_bytes": export.size_bytes,
            "created_at": export.created_at,
            "download_url": f"/api/v1/privacy/exports/{export.pk}/download" if export.finished_at else None}


@router.post("/privacy/exports", response={202: ExportAccepted})
def create_export(request: HttpRequest, payload: ExportIn):
    export = services.start_export(_owner(request), include_originals=payload.include_originals)
    return 202, {"export_id": export.pk, "job_id": export.job_id}


@router.get("/privacy/exports", response=list[ExportOut])
def list_exports(request: HttpRequest):
    return [export_out(e) for e in selectors.exports(_owner(request).workspace)]


@router.get("/privacy/exports/{export_id}/download")
def download(request: HttpRequest, export_id: int):
    export = services.download_export(_owner(request), export_id)
    response = HttpResponse(export.archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


class ErasureIn(Schema):
    kind: str
    value: str


class MatchOut(Schema):
    id: int
    text: str
    original_text: str
    author: str
    source: str
    posted_at: datetime | None


class ErasurePreview(Schema):
    id: int
    kind: str
    matches: int
    texts: list[MatchOut]


class ErasureConfirm(Schema):
    text_ids: list[int] | None = None  # a subset of the previewed ids; none: all of them


class ErasureDone(Schema):
    id: int
    status: str
    counts: dict[str, int]


@router.post("/privacy/erasures", response=ErasurePreview)
def preview_erasure(request: HttpRequest, payload: ErasureIn):
    ctx = _owner(request)
    erasure = services.preview_erasure(ctx, payload.kind, payload.value)
    texts = selectors.erasure_matches(erasure, PREVIEW_LIMIT)
    return {"id": erasure.pk, "kind": erasure.kind, "matches": len(erasure.text_ids),
            "texts": [{"id": t.pk, "text": t.text, "original_text": t.original_text, "author": t.author,
                       "source": t.source, "posted_at": t.posted_at} for t in texts]}


@router.post("/privacy/erasures/{request_id}/confirm", response=ErasureDone)
def confirm_erasure(request: HttpRequest, request_id: int, payload: ErasureConfirm):
    erasure = services.confirm_erasure(_owner(request), request_id, payload.text_ids)
    return {"id": erasure.pk, "status": erasure.status, "counts": erasure.counts}


class DeleteWorkspaceIn(Schema):
    confirm_name: str


@router.post("/privacy/workspace/delete")
def delete_workspace(request: HttpRequest, payload: DeleteWorkspaceIn):
    ctx = _owner(request)
    counts = services.delete_workspace(ctx, payload.confirm_name)
    return {"deleted": ctx.workspace.name, "counts": counts}
