from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace

from .models import Job, JobStatus
from .registry import RESENDERS


def get_job(workspace: Workspace, job_id: UUID) -> Job | None:
    return Job.objects.filter(workspace=workspace, pk=job_id).first()


def recent_jobs(workspace: Workspace, limit: int = 20) -> list[Job]:
    return list(Job.objects.filter(workspace=workspace).order_by("-created_at")[:limit])


def retry_refusal(ctx: WorkspaceContext, job: Job) -> str | None:
    """Why this person cannot retry this job now, or None when they can (services.retry checks the same)."""
    resender = RESENDERS.get(job.kind)
    if resender is None:
        return f"A {job.kind} job cannot be retried; start a new one instead."
    if not ctx.can(resender.permission):
        return f"Your role ({ctx.role}) cannot retry this job."
    if job.status != JobStatus.FAILED:
        return f"Only a failed job can be retried; this one is {job.status}."
    return resender.refusal(job) if resender.refusal is not None else None


def retryable_ids(ctx: WorkspaceContext, jobs: Iterable[Job]) -> set[UUID]:
    """The jobs that get a Retry button: failed, and this person may retry them now."""
    return {job.pk for job in jobs if job.status == JobStatus.FAILED and retry_refusal(ctx, job) is None}
