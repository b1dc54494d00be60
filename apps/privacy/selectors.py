"""Reads of privacy data. Every function takes the workspace."""

from __future__ import annotations

from apps.accounts.models import Workspace
from apps.corpus.models import CustomerText

from .models import ErasureRequest, ErasureStatus, PrivacyAuditEntry, RetentionPolicy, WorkspaceExport


def audit_log(workspace: Workspace, *, limit: int = 100, offset: int = 0) -> tuple[int, list[PrivacyAuditEntry]]:
    qs = PrivacyAuditEntry.objects.filter(workspace=workspace).order_by("-created_at", "-id")
    return qs.count(), list(qs[offset:offset + limit])


def retention_policy(workspace: Workspace) -> RetentionPolicy | None:
    return RetentionPolicy.objects.filter(workspace=workspace).first()


def exports(workspace: Workspace, limit: int = 10) -> list[WorkspaceExport]:
    return list(WorkspaceExport.objects.filter(workspace=workspace).defer("archive").select_related("job")
                .order_by("-created_at")[:limit])


def erasure_request(workspace: Workspace, request_id: int) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(workspace=workspace, pk=request_id).first()


def erasure_matches(request: ErasureRequest, limit: int = 200) -> list[CustomerText]:
    """The previewed texts, for the owner to review (with originals: owners only)."""
    return list(CustomerText.objects.filter(workspace_id=request.workspace_id, pk__in=request.text_ids[:limit])
                .order_by("-posted_at", "-pk"))


def recent_erasures(workspace: Workspace, limit: int = 10) -> list[ErasureRequest]:
    return list(ErasureRequest.objects.filter(workspace=workspace, status=ErasureStatus.DONE)
                .order_by("-executed_at")[:limit])
