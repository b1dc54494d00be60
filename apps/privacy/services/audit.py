"""The privacy audit log: append-only entries of who did what with personal data (counts, ids, keyed hashes)."""

from __future__ import annotations

from typing import Any

from apps.accounts.models import Workspace

from ..models import AuditAction, PrivacyAuditEntry

SYSTEM_ACTOR = "system"


def record(action: str, *, workspace: Workspace | None = None, user=None,
           detail: dict[str, Any] | None = None) -> PrivacyAuditEntry:
    """Append one entry. `detail` must hold counts, ids and keyed hashes only, never personal data."""
    actor = user if user is not None and getattr(user, "pk", None) else None
    return PrivacyAuditEntry.objects.create(
        workspace=workspace, workspace_name=workspace.name if workspace else "", actor=actor,
        actor_name=actor.get_username() if actor else SYSTEM_ACTOR, action=action, detail=detail or {},
    )


def record_originals_viewed(workspace_id: int, user, text_ids: list[int], channel: str) -> None:
    workspace = Workspace.objects.only("name").get(pk=workspace_id)
    record(AuditAction.VIEW_ORIGINALS, workspace=workspace, user=user,
           detail={"channel": channel, "texts": len(text_ids), "text_ids": text_ids[:500]})
