"""Deleting a whole workspace: the privacy log keeps the fact and counts, not the data."""

from __future__ import annotations

import logging

from django.db import transaction

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import MANAGE
from apps.corpus.models import CustomerText
from apps.insights.models import AnalysisSettings
from apps.llm.models import LLMCacheEntry

from ..models import AuditAction
from .audit import record
from .erasure import BATCH
from .errors import PrivacyError

logger = logging.getLogger(__name__)


def delete_workspace(ctx: WorkspaceContext, confirm_name: str) -> dict[str, int]:
    """Delete the workspace and everything in it. The privacy log keeps the fact (and counts), not the data."""
    ctx.require(MANAGE)
    workspace = ctx.workspace
    if (confirm_name or "").strip() != workspace.name:
        raise PrivacyError("Type the workspace's name exactly as shown to confirm its deletion.")
    counts = {"texts": CustomerText.objects.filter(workspace=workspace).count(),
              "members": workspace.memberships.count()}
    record(AuditAction.DELETE_WORKSPACE, workspace=workspace, user=ctx.user, detail=counts)
    # Texts first, in chunks, so no single statement holds a million rows (embeddings and analyses cascade).
    texts = CustomerText.objects.filter(workspace=workspace)
    while ids := list(texts.values_list("pk", flat=True)[:BATCH]):
        CustomerText.objects.filter(pk__in=ids).delete()
    with transaction.atomic():
        # Beat rows are not reached by the cascade: they would keep firing for a workspace that is gone.
        from django_celery_beat.models import PeriodicTask

        PeriodicTask.objects.filter(pk__in=AnalysisSettings.objects.filter(workspace=workspace)
                                    .exclude(periodic_task=None).values("periodic_task")).delete()
        LLMCacheEntry.objects.filter(workspace__isnull=True).delete()  # unattributed entries may be this one's
        workspace.delete()
    logger.info("workspace %s deleted by %s", workspace.pk, ctx.user)
    return counts
