"""The one job/progress model every background job writes through.

Progress writes are single UPDATE statements outside the caller's transaction logic, so a job's
state is visible while its work is still running, and re-running a step never moves a job backwards
from a final state.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.db.models import F
from django.utils import timezone

from apps.accounts.models import Workspace

from .models import Job, JobStatus

logger = logging.getLogger(__name__)

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


def create_job(workspace: Workspace, kind: str, *, total: int = 0, user=None, message: str = "Queued.",
               params: dict | None = None) -> Job:
    return Job.objects.create(
        workspace=workspace, kind=kind, total=total, created_by=user if user and user.pk else None,
        message=message, params=params or {},
    )


def mark_running(job_id: UUID, *, total: int | None = None, message: str = "") -> None:
    fields: dict[str, Any] = {"status": JobStatus.RUNNING, "message": message}
    if total is not None:
        fields["total"] = total
    Job.objects.filter(pk=job_id, status__in=UNFINISHED).update(**fields)
    Job.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=timezone.now())


def set_progress(job_id: UUID, done: int, *, total: int | None = None, message: str | None = None) -> None:
    fields: dict[str, Any] = {"done": done}
    if total is not None:
        fields["total"] = total
    if message is not None:
        fields["message"] = message
    Job.objects.filter(pk=job_id, status__in=UNFINISHED).update(**fields)


def add_progress(job_id: UUID, n: int) -> None:
    Job.objects.filter(pk=job_id, status__in=UNFINISHED).update(done=F("done") + n)


def succeed(job_id: UUID, result: dict | None = None, message: str = "Done.") -> bool:
    """Mark the job succeeded; False when it had already finished (a retried step arriving late)."""
    updated = Job.objects.filter(pk=job_id, status__in=UNFINISHED).update(
        status=JobStatus.SUCCEEDED, result=result or {}, message=message, finished_at=timezone.now(),
        done=F("total"),
    )
    return bool(updated)


def fail(job_id: UUID, error: str) -> None:
    """Fail with a sentence the user can act on. Internal details belong in the log, not here."""
    logger.warning("job %s failed: %s", job_id, error)
    Job.objects.filter(pk=job_id, status__in=UNFINISHED).update(
        status=JobStatus.FAILED, error=error, finished_at=timezone.now()
    )


def set_message(job_id: UUID, message: str) -> None:
    Job.objects.filter(pk=job_id, status__in=UNFINISHED).update(message=message[:300])


def request_cancel(job: Job) -> None:
    """Ask a running job to stop; LLM jobs drop their requests not yet sent, then fail as cancelled."""
    Job.objects.filter(pk=job.pk, status__in=UNFINISHED).update(cancel_requested=True)


def cancel_requested(job_id: UUID) -> bool:
    return Job.objects.filter(pk=job_id, cancel_requested=True).exists()


def retry(job: Job) -> None:
    Job.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED, error="", done=0, finished_at=None, message="Retrying."
    )
