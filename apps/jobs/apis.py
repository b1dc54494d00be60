from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from apps.core.health import paused_work

from . import services
from .models import Job
from .selectors import get_job, queue_place

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: UUID
    kind: str
    status: str
    done: int
    total: int
    percent: int
    message: str
    error: str
    waiting_on: str = ""  # why an unfinished job is not moving (the broker is down), else ""
    # A waiting LLM job's place in the model's line: position, ahead, wait_s (None: no estimate yet), basis, summary
    queue: dict[str, Any] | None = None
    result: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None


def job_out(job: Job) -> dict[str, Any]:
    return {
        "id": job.id, "kind": job.kind, "status": job.status, "done": job.done, "total": job.total,
        "percent": job.percent, "message": job.message, "error": job.error, "result": job.result,
        "waiting_on": "" if job.is_finished else paused_work(),
        "queue": place.as_dict() if (place := queue_place(job)) is not None else None,
        "created_at": job.created_at, "finished_at": job.finished_at,
    }


@router.get("/jobs/{job_id}", response=JobOut)
def job_detail(request: HttpRequest, job_id: UUID):
    job = get_job(request.auth.workspace, job_id)
    if job is None:
        raise HttpError(404, "No such job in this workspace.")
    return job_out(job)


@router.post("/jobs/{job_id}/cancel", response=JobOut)
def job_cancel(request: HttpRequest, job_id: UUID):
    job = get_job(request.auth.workspace, job_id)
    if job is None:
        raise HttpError(404, "No such job in this workspace.")
    if job.created_by_id != request.auth.user.pk and request.auth.role != "owner":
        raise HttpError(403, "Only the job's creator or an owner can cancel it.")
    services.request_cancel(job)
    job.refresh_from_db()
    return job_out(job)


@router.post("/jobs/{job_id}/retry", response={202: JobOut, 409: dict})
def job_retry(request: HttpRequest, job_id: UUID):
    """Run a failed job again (same job id): 409 when it has not failed or its kind cannot be retried."""
    job = get_job(request.auth.workspace, job_id)
    if job is None:
        raise HttpError(404, "No such job in this workspace.")
    return 202, job_out(services.retry(request.auth, job))  # NotRetryable: 409 (config/api.py)
