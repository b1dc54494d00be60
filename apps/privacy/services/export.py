"""Exports: one job builds the workspace's zip, stored encrypted; owners download it (on the audit log)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import MANAGE
from apps.jobs import services as jobs
from apps.jobs.models import Job

from ..models import AuditAction, WorkspaceExport
from .audit import record
from .errors import NotFound, PrivacyError


def start_export(ctx: WorkspaceContext, *, include_originals: bool = False) -> WorkspaceExport:
    """One job that builds the zip; originals only when asked (and that is on the audit log)."""
    ctx.require(MANAGE)
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "export", user=ctx.user,
                              params={"include_originals": include_originals})
        export = WorkspaceExport.objects.create(workspace=ctx.workspace, job=job, include_originals=include_originals,
                                                created_by=ctx.user if ctx.user.pk else None)
        job.params["export_id"] = export.pk
        job.save(update_fields=["params"])
        record(AuditAction.EXPORT, workspace=ctx.workspace, user=ctx.user,
               detail={"export": export.pk, "include_originals": include_originals})
        _publish_export(export.pk, job)
    return export


def _publish_export(export_id: int, job: Job) -> None:
    from ..tasks import build_export_task  # tasks import this module

    jobs.publish_on_commit(job.pk, lambda: build_export_task.delay(export_id, job_id=str(job.pk)))


def export_retry_refusal(job: Job) -> str | None:
    if not WorkspaceExport.objects.filter(job=job).exists():
        return f"This export was deleted (exports are kept {settings.MURMUR_EXPORT_TTL_DAYS} days): start a new one."
    return None


def resend_export(job: Job) -> None:
    """Build the same export again (build_export leaves a finished one alone; its start is on the audit log)."""
    _publish_export(WorkspaceExport.objects.values_list("pk", flat=True).get(job=job), job)


def build_export(export_id: int) -> None:
    """Build the zip and store it (encrypted). Safe to run again: a finished export is left alone."""
    from ..exports import build_archive

    export = WorkspaceExport.objects.defer("archive").select_related("workspace", "job").get(pk=export_id)
    if export.job.is_finished:
        return
    jobs.mark_running(export.job_id, message="Collecting the workspace's data.")

    def progress(done: int, total: int, message: str) -> None:
        jobs.set_progress(export.job_id, done, total=total, message=message)

    data, files = build_archive(export.workspace, include_originals=export.include_originals, progress=progress)
    WorkspaceExport.objects.filter(pk=export.pk).update(
        archive=data, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), finished_at=timezone.now())
    jobs.succeed(export.job_id, {"export_id": export.pk, "size_bytes": len(data), "files": files,
                                 "download_url": f"/api/v1/privacy/exports/{export.pk}/download"},
                 message=f"Export ready: {len(data) / 1024 / 1024:.1f} MB, {len(files)} files.")


def download_export(ctx: WorkspaceContext, export_id: int) -> WorkspaceExport:
    ctx.require(MANAGE)
    export = WorkspaceExport.objects.select_related("job").filter(workspace=ctx.workspace, pk=export_id).first()
    if export is None:
        raise NotFound("No such export in this workspace (exports are deleted after "
                       f"{settings.MURMUR_EXPORT_TTL_DAYS} days).")
    if export.finished_at is None:
        raise PrivacyError("This export is not ready yet: wait for its job to finish.")
    record(AuditAction.DOWNLOAD_EXPORT, workspace=ctx.workspace, user=ctx.user,
           detail={"export": export.pk, "include_originals": export.include_originals})
    return export
