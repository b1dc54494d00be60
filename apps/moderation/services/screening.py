"""Customer texts: screening an import (or the unchecked backlog) as a job, and the judge batches' task body."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import BigIntegerField, Subquery
from django.db.models.functions import Cast

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import MODERATE
from apps.corpus.models import CustomerText, ModerationStatus
from apps.jobs import services as jobs
from apps.jobs.models import Job

from ..models import CUSTOMER_TEXT, CaseStatus, ModerationCase, Stage
from .judging import JUDGE_BATCH, judge, queue_judging
from .pipeline import detector_context, screen_subjects
from .verdicts import Subject

SCREEN_CHUNK = 1000  # texts per fast-stage chunk (one profanity call, one bulk insert)


def _scope(job: Job):
    texts = CustomerText.objects.filter(workspace_id=job.workspace_id, is_live=True)
    if "text_import_id" in job.params:
        return texts.filter(text_import_id=job.params["text_import_id"])
    return texts.filter(pk__in=job.params.get("text_ids", [])) if "text_ids" in job.params else texts


def start_import_screening(workspace_id: int, text_import_id: int) -> Job | None:
    """Called when an import's texts became live. One job per import: a re-sent signal changes nothing."""
    if Job.objects.filter(workspace_id=workspace_id, kind="moderation",
                          params__text_import_id=text_import_id).exists():
        return None
    workspace = Workspace.objects.get(pk=workspace_id)
    total = CustomerText.objects.filter(text_import_id=text_import_id, is_live=True).count()
    return _start_screening_job(workspace, {"text_import_id": text_import_id}, total, user=None)


def start_backlog_screening(ctx: WorkspaceContext) -> Job:
    """Moderate the workspace's texts that never were (imported before moderation existed)."""
    ctx.require(MODERATE)
    ids = list(CustomerText.objects.filter(workspace=ctx.workspace, is_live=True,
                                           moderation_status=ModerationStatus.UNCHECKED)
               .order_by("pk").values_list("pk", flat=True))
    return _start_screening_job(ctx.workspace, {"text_ids": ids}, len(ids), user=ctx.user)


def _start_screening_job(workspace: Workspace, params: dict, total: int, user) -> Job:
    with transaction.atomic():
        job = jobs.create_job(workspace, "moderation", total=total, user=user, params=params,
                              message="Queued for moderation.")
        resend_screening(job)
    return job


def resend_screening(job: Job) -> None:
    """Queue the fast stage; also how a failed screening is retried (texts with a case are skipped, and cases an
    earlier run left waiting go to the judge)."""
    from ..tasks import screen_texts

    jobs.publish_on_commit(job.pk, lambda: screen_texts.delay(job_id=str(job.pk)))


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def screen_texts(job_id: str) -> None:
    """Task body: the fast stage over the job's texts in chunks, then LLM batches for the rest. Safe to run
    again: texts that have a case are skipped, and cases an interrupted run left waiting are judged."""
    job = Job.objects.select_related("workspace").get(pk=job_id)
    if job.is_finished:
        return
    jobs.mark_running(job.pk, message="Screening texts with the fast detectors.")
    workspace = job.workspace
    screened = (ModerationCase.objects.filter(workspace=workspace, subject_type=CUSTOMER_TEXT)
                .annotate(text_id=Cast("subject_id", BigIntegerField())).values("text_id"))
    ids = list(_scope(job).exclude(pk__in=Subquery(screened)).order_by("pk").values_list("pk", flat=True))
    if not ids:  # a re-run: judge what an earlier run left waiting (judging skips what is done)
        queue_judging(list(ModerationCase.objects.filter(job=job, status=CaseStatus.SCREENING)
                           .values_list("pk", flat=True)), str(job.pk))
    context = detector_context(workspace)
    waiting: list[int] = []  # judged in full batches: one run_many keeps many requests in flight
    for chunk in _chunks(ids, SCREEN_CHUNK):
        rows = CustomerText.objects.filter(pk__in=chunk).values_list("pk", "text", "original_text", "language",
                                                                     "source")
        subjects = [Subject(CUSTOMER_TEXT, str(pk), text, original, language or "", source or "")
                    for pk, text, original, language, source in rows]
        cases = screen_subjects(workspace, subjects, job_id=str(job.pk), context=context)
        waiting += [c.pk for c in cases if c.status == CaseStatus.SCREENING and c.job_id == job.pk]
        full = len(waiting) - len(waiting) % JUDGE_BATCH
        queue_judging(waiting[:full], str(job.pk))
        waiting = waiting[full:]
        refresh_screening_job(str(job.pk))
    queue_judging(waiting, str(job.pk))
    Job.objects.filter(pk=job.pk).update(params={**job.params, "fast_stage_done": True})
    refresh_screening_job(str(job.pk))


def refresh_screening_job(job_id: str) -> None:
    """Progress from the database (a retried batch never double counts); the job succeeds when the fast
    stage is through and no case waits for the judge."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    cases = ModerationCase.objects.filter(job=job)
    waiting = cases.filter(status=CaseStatus.SCREENING).count()
    settled = cases.count() - waiting
    if not (job.params.get("fast_stage_done") and waiting == 0):
        message = (f"{settled} texts moderated, {waiting} waiting for the LLM judge." if waiting
                   else f"{settled} texts moderated.")
        jobs.set_progress(job.pk, min(settled, job.total), message=message)
        return
    summary = screening_summary(job)
    jobs.succeed(job.pk, summary, message=(
        f"{summary['cases']} texts moderated: {summary['approved']} approved, {summary['pending']} for review, "
        f"{summary['hidden']} hidden; {summary['llm']} needed the LLM judge."))


def screening_summary(job: Job) -> dict[str, Any]:
    cases = ModerationCase.objects.filter(job=job)
    return {
        "cases": cases.count(),
        "approved": cases.filter(subject_status=ModerationStatus.APPROVED).count(),
        "pending": cases.filter(subject_status=ModerationStatus.PENDING).count(),
        "hidden": cases.filter(subject_status=ModerationStatus.HIDDEN).count(),
        "llm": cases.filter(stage=Stage.LLM).count(),
        "llm_failed": cases.exclude(llm_error="").count(),
        "text_import_id": job.params.get("text_import_id"),
    }


def judge_cases(case_ids: list[int], job_id: str | None = None) -> None:
    """Task body: judge a batch; idempotent (cases already judged are skipped)."""
    cases = list(ModerationCase.objects.filter(pk__in=case_ids, status=CaseStatus.SCREENING)
                 .select_related("workspace").order_by("pk"))
    by_workspace: dict[int, list[ModerationCase]] = defaultdict(list)
    for case in cases:
        by_workspace[case.workspace_id].append(case)
    for group in by_workspace.values():
        judge(group)
    if job_id:
        refresh_screening_job(job_id)
