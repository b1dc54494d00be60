"""The one job/progress model every background job writes through.

Progress writes are single UPDATE statements outside the caller's transaction logic, so a job's
state is visible while its work is still running, and re-running a step never moves a job backwards
from a final state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.core.errors import NotFound

from .models import Job, JobStatus
from .registry import RESENDERS, NotRetryable

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


# --- publishing and retrying ------------------------------------------------------------------------------

QUEUE_UNREACHABLE = ("The task queue could not be reached, so this job did not start. Retry it when the system "
                     "is healthy (see /healthz).")
# What publishing raises once CELERY_TASK_PUBLISH_RETRY_POLICY gave up on the broker (kombu wraps most of it).
PUBLISH_ERRORS = (BrokerError, RedisConnectionError, RedisTimeoutError, OSError)


def publish_on_commit(job_id: UUID | str | None, send: Callable[[], object], *,
                      on_unreachable: Callable[[str], object] | None = None) -> None:
    """Run `send` (which publishes the job's task) once the rows the task reads are committed. When the broker
    cannot be reached, the job fails with a sentence saying so, and the request that started it still succeeds:
    the Retry button starts it later. `on_unreachable(error)` fails the app's own row that waits on the task
    (an import is left pending instead: its file is what a retry needs). Without a job the error propagates."""

    def publish() -> None:
        if Job.objects.filter(pk=job_id, status=JobStatus.FAILED).exists():
            return  # an earlier batch of this job could not be published either: don't wait for the broker again
        try:
            send()
        except PUBLISH_ERRORS as exc:
            if job_id is None:
                raise
            logger.error("could not publish the task of job %s: %r", job_id, exc)
            if on_unreachable is not None:
                on_unreachable(QUEUE_UNREACHABLE)
            fail(job_id, QUEUE_UNREACHABLE)

    transaction.on_commit(publish)


def retry(ctx: WorkspaceContext, job: Job) -> Job:
    """Run a failed job again, as the same job: the kind's resender resets its app's rows and publishes the task
    on commit. PermissionDenied without the role that starts such jobs; NotRetryable when the job has not failed,
    its kind has no resender, or the resender refuses (the message says what to do instead)."""
    resender = RESENDERS.get(job.kind)
    if resender is None:
        raise NotRetryable(f"A {job.kind} job cannot be retried; start a new one instead.")
    ctx.require(resender.permission)
    if job.workspace_id != ctx.workspace.pk:
        raise NotFound("No such job in this workspace.")
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)  # two clicks on Retry queue the task once
        if job.status != JobStatus.FAILED:
            raise NotRetryable(f"Only a failed job can be retried; this one is {job.status}.")
        if resender.refusal is not None and (reason := resender.refusal(job)):
            raise NotRetryable(reason)
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.QUEUED, error="", message="Retrying.", done=0, result={}, cancel_requested=False,
            started_at=None, finished_at=None)
        resender.resend(job)
    logger.info("job %s (%s) retried by %s", job.pk, job.kind, ctx.user)
    job.refresh_from_db()
    return job
