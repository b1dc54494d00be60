"""Retention: how long originals are kept, the daily purge (and expired exports and stale erasure previews)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import MANAGE
from apps.corpus.models import CustomerText, TextImport

from ..models import AuditAction, ErasureRequest, ErasureStatus, RetentionPolicy, WorkspaceExport
from .audit import record
from .erasure import BATCH, PREVIEW_VALID_FOR
from .errors import PrivacyError

logger = logging.getLogger(__name__)


MAX_RETENTION_DAYS = 3650


def retention_of(workspace: Workspace) -> RetentionPolicy | None:
    return RetentionPolicy.objects.filter(workspace=workspace).first()


def set_retention(ctx: WorkspaceContext, original_days: int | None) -> RetentionPolicy:
    ctx.require(MANAGE)
    if original_days is not None and not 1 <= original_days <= MAX_RETENTION_DAYS:
        raise PrivacyError(f"Keep originals for 1 to {MAX_RETENTION_DAYS} days, or leave the period empty to keep "
                           "them until you erase them.")
    before = retention_of(ctx.workspace)
    policy, _ = RetentionPolicy.objects.update_or_create(
        workspace=ctx.workspace, defaults={"original_days": original_days, "updated_by": ctx.user})
    record(AuditAction.RETENTION_CHANGE, workspace=ctx.workspace, user=ctx.user,
           detail={"original_days": original_days, "before": before.original_days if before else None})
    return policy


def purge_originals(workspace: Workspace, older_than_days: int, now=None) -> dict[str, int]:
    """Drop the originals (text before redaction, author, uploaded files) of texts imported before the cutoff.
    Redacted texts, analyses, embeddings and every aggregate stay."""
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    expired = (CustomerText.objects.filter(workspace=workspace, created_at__lt=cutoff)
               .exclude(original_text="", author=""))
    texts = 0
    while ids := list(expired.values_list("pk", flat=True)[:BATCH]):
        texts += CustomerText.objects.filter(pk__in=ids).update(original_text="", author="", author_digest="")
    files = (TextImport.objects.filter(workspace=workspace, created_at__lt=cutoff).exclude(payload=b"")
             .update(payload=b""))
    return {"texts": texts, "import_files": files}


RETENTION_SCHEDULE = "privacy: apply retention periods"


def ensure_schedules() -> None:
    """(Re)write the beat row of the daily retention job: one row for every workspace (each workspace's
    period is read when it runs). Idempotent; `manage.py setup_schedules`, run by the launcher."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _ = CrontabSchedule.objects.get_or_create(minute="30", hour="2", day_of_week="*", day_of_month="*",
                                                       month_of_year="*", timezone="UTC")
    PeriodicTask.objects.update_or_create(name=RETENTION_SCHEDULE, defaults={
        "crontab": crontab, "interval": None, "task": "apps.privacy.tasks.apply_retention", "queue": "default",
        "enabled": True})


def apply_retention(now=None) -> dict[str, Any]:
    """The scheduled job: every workspace's retention, then expired exports and unconfirmed erasure previews."""
    now = now or timezone.now()
    purged: dict[str, Any] = {}
    for policy in RetentionPolicy.objects.filter(original_days__isnull=False).select_related("workspace"):
        counts = purge_originals(policy.workspace, policy.original_days, now)
        RetentionPolicy.objects.filter(pk=policy.pk).update(last_purged_at=now)
        if any(counts.values()):
            record(AuditAction.RETENTION_PURGE, workspace=policy.workspace,
                   detail={**counts, "original_days": policy.original_days})
            purged[policy.workspace.name] = counts
    expired_exports = WorkspaceExport.objects.filter(
        created_at__lt=now - timedelta(days=settings.MURMUR_EXPORT_TTL_DAYS)).delete()[0]
    stale_previews = ErasureRequest.objects.filter(status=ErasureStatus.PREVIEWED,
                                                   created_at__lt=now - PREVIEW_VALID_FOR).delete()[0]
    logger.info("retention: purged %s; deleted %d expired exports and %d stale erasure previews", purged,
                expired_exports, stale_previews)
    return {"purged": purged, "expired_exports": expired_exports, "stale_previews": stale_previews}
