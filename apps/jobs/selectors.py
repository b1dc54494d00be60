from __future__ import annotations

from uuid import UUID

from apps.accounts.models import Workspace

from .models import Job


def get_job(workspace: Workspace, job_id: UUID) -> Job | None:
    return Job.objects.filter(workspace=workspace, pk=job_id).first()


def recent_jobs(workspace: Workspace, limit: int = 20) -> list[Job]:
    return list(Job.objects.filter(workspace=workspace).order_by("-created_at")[:limit])
