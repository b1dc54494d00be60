from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any
from uuid import UUID

from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace

from .models import WAITING_FOR_MODEL, Job, JobStatus
from .registry import RESENDERS, llm_kinds


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


# --- the LLM queue: where a waiting job stands, and how long the jobs ahead of it usually take -----------------

ESTIMATE_FROM_LAST = 20  # finished jobs of a kind whose median duration stands for the kind
STALE_AFTER = timedelta(days=1)  # an unfinished job older than this is stuck, not ahead in line


@dataclass(frozen=True)
class QueuePlace:
    """Where an unfinished LLM job stands: `position` 1 is next (or being worked on), `ahead` the unfinished LLM
    jobs (any workspace) started before it; `wait_s` the usual duration of the jobs ahead added up, None while
    a kind ahead has no finished job to go by; `basis` how many finished jobs the estimate rests on."""

    position: int
    ahead: int
    wait_s: float | None
    basis: int

    @property
    def summary(self) -> str:
        line = "next in line" if self.ahead == 0 else f"{ordinal(self.position)} in line ({self.ahead} ahead)"
        if self.ahead == 0:
            return line.capitalize() + "."
        if self.wait_s is None:
            return line.capitalize() + "; no estimate yet."
        basis = "the last finished AI job" if self.basis == 1 else f"the last {self.basis} finished AI jobs"
        return f"{line.capitalize()}; starts in about {duration_words(self.wait_s)} (from {basis})."

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "ahead": self.ahead,
                "wait_s": round(self.wait_s) if self.wait_s is not None else None, "basis": self.basis,
                "summary": self.summary}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def duration_words(seconds: float) -> str:
    if seconds < 90:
        return "1 minute"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def typical_durations(kinds: Iterable[str], last: int = ESTIMATE_FROM_LAST) -> dict[str, tuple[float, int]]:
    """Per kind, the median seconds from start to finish of its `last` succeeded jobs (any workspace: they share
    the model servers) and how many that was; kinds with none are left out."""
    typical = {}
    for kind in set(kinds):
        rows = (Job.objects.filter(kind=kind, status=JobStatus.SUCCEEDED, started_at__isnull=False,
                                   finished_at__isnull=False)
                .order_by("-finished_at").values_list("started_at", "finished_at")[:last])
        seconds = [(finished - started).total_seconds() for started, finished in rows if finished >= started]
        if seconds:
            typical[kind] = (median(seconds), len(seconds))
    return typical


def queue_place(job: Job, *, now: datetime | None = None) -> QueuePlace | None:
    """Where `job` stands in the line for the model: for an LLM job that is queued, or running but waiting for the
    model server; None for any other job. The estimate adds up the median duration of each job ahead's kind."""
    waiting = job.status == JobStatus.QUEUED or (job.status == JobStatus.RUNNING
                                                 and job.message.startswith(WAITING_FOR_MODEL))
    kinds = llm_kinds()  # one line for all workspaces: every one asks the same model servers
    if job.kind not in kinds or not waiting:
        return None
    now = now or timezone.now()
    ahead = list(Job.objects.filter(kind__in=kinds, status__in=(JobStatus.QUEUED, JobStatus.RUNNING),
                                    created_at__lt=job.created_at, created_at__gte=now - STALE_AFTER)
                 .exclude(pk=job.pk).values_list("kind", flat=True))
    if not ahead:
        return QueuePlace(position=1, ahead=0, wait_s=0.0, basis=0)
    typical = typical_durations(ahead)
    if any(kind not in typical for kind in ahead):
        return QueuePlace(position=len(ahead) + 1, ahead=len(ahead), wait_s=None, basis=0)
    return QueuePlace(position=len(ahead) + 1, ahead=len(ahead), wait_s=sum(typical[kind][0] for kind in ahead),
                      basis=sum(n for _, n in typical.values()))
