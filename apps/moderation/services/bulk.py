"""Bulk decisions: a selection, or every case matching a filter, as one resumable background job."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Membership
from apps.accounts.permissions import MODERATE, role_allows
from apps.jobs import services as jobs
from apps.jobs.models import Job

from .. import selectors
from ..models import AuditAction, AuditEntry, ModerationCase
from ..selectors import CaseFilters
from .decisions import _actor_name, _decision_target, _moderator
from .errors import ModerationError
from .pipeline import _apply_to_subjects

BULK_CHUNK = 500  # cases per transaction of a bulk decision


BULK_ACTIONS = (AuditAction.APPROVE, AuditAction.REJECT, AuditAction.SEND_BACK, AuditAction.ASSIGN)


def start_bulk_decision(ctx: WorkspaceContext, action: str, *, case_ids: list[int] | None = None,
                        filters: CaseFilters | None = None, note: str = "", assignee_id: int | None = None) -> Job:
    """Decide a selection of cases, or every case matching the queue's filter, in a background job. The set
    is fixed when the job starts: cases that arrive later are not included."""
    ctx.require(MODERATE)
    if action not in BULK_ACTIONS:
        raise ModerationError(f"Bulk actions are {', '.join(BULK_ACTIONS)}; edit cases one at a time.")
    if (case_ids is None) == (filters is None):
        raise ModerationError("Choose cases, or apply the action to every case matching a filter.")
    if len(note) > 5000:
        raise ModerationError("The note is too long: keep it under 5000 characters.")
    if action == AuditAction.ASSIGN:
        _moderator(ctx.workspace, assignee_id)
    qs = selectors.cases(ctx.workspace)
    max_id = qs.aggregate(m=Max("pk"))["m"] or 0
    params: dict[str, Any] = {"action": action, "note": note.strip(), "assignee_id": assignee_id, "max_id": max_id,
                              "cursor": 0}
    if case_ids is not None:
        if not case_ids:
            raise ModerationError("Select at least one case.")
        ids = sorted({int(i) for i in case_ids})
        params["case_ids"] = ids
        total = qs.filter(pk__in=ids).count()
    else:
        params["filters"] = filters.as_params()
        total = filters.apply(qs).count()
    from ..tasks import apply_bulk_decision

    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "moderation_bulk", total=total, user=ctx.user, params=params,
                              message=f"Queued: {action} {total} cases.")
        jobs.publish_on_commit(job.pk, lambda: apply_bulk_decision.delay(job_id=str(job.pk)))
    return job


def _bulk_scope(job: Job):
    qs = ModerationCase.objects.filter(workspace_id=job.workspace_id, pk__lte=job.params["max_id"])
    if "case_ids" in job.params:
        return qs.filter(pk__in=job.params["case_ids"])
    return CaseFilters.from_params(job.params["filters"]).apply(qs)


def run_bulk_decision(job_id: str) -> None:
    """Task body: chunks of cases in primary-key order, each in one transaction with its audit entries and the
    job's cursor, so a re-run after a crash resumes where the last committed chunk ended."""
    job = Job.objects.select_related("workspace", "created_by").get(pk=job_id)
    if job.is_finished:
        return
    actor = job.created_by
    membership = Membership.objects.filter(workspace=job.workspace, user=actor).first() if actor else None
    if membership is None or not role_allows(membership.role, MODERATE):
        jobs.fail(job.pk, "The person who started this bulk decision may no longer moderate this workspace.")
        return
    action = job.params["action"]
    assignee = get_user_model().objects.filter(pk=job.params.get("assignee_id")).first() \
        if action == AuditAction.ASSIGN else None
    jobs.mark_running(job.pk, message=f"Applying {action}.")
    scope = _bulk_scope(job)
    cursor, done = job.params.get("cursor", 0), job.done
    while True:
        if jobs.cancel_requested(job.pk):
            jobs.fail(job.pk, f"Cancelled after {done} cases; those stay decided.")
            return
        with transaction.atomic():
            chunk = list(scope.filter(pk__gt=cursor).order_by("pk").select_for_update(of=("self",))
                         .values("pk", "subject_type", "subject_id", "subject_status", "auto_action", "text",
                                 "final_text")[:BULK_CHUNK])
            if not chunk:
                break
            _decide_chunk(job, actor, action, assignee, chunk)
            cursor, done = chunk[-1]["pk"], done + len(chunk)
            Job.objects.filter(pk=job.pk).update(params={**job.params, "cursor": cursor}, done=done,
                                                 message=f"{action}: {done} of {job.total} cases.")
    jobs.succeed(job.pk, {"action": action, "decided": done}, message=f"{action}: {done} cases done.")


def _decide_chunk(job: Job, actor, action: str, assignee, chunk: list[dict[str, Any]]) -> None:
    now = timezone.now()
    note = job.params.get("note", "")
    ids = [row["pk"] for row in chunk]
    entries, changes = [], defaultdict(list)
    if action == AuditAction.ASSIGN:
        ModerationCase.objects.filter(pk__in=ids).update(assigned_to=assignee, updated_at=now)
        assigned = f"Assigned to {assignee.get_username()}." if assignee else "Unassigned."
        for row in chunk:
            entries.append(AuditEntry(workspace_id=job.workspace_id, case_id=row["pk"], actor=actor,
                                      actor_name=_actor_name(actor), action=action, job=job,
                                      before_status=row["subject_status"], after_status=row["subject_status"],
                                      note=f"{assigned} {note}".strip()))
        AuditEntry.objects.bulk_create(entries)
        return
    targets: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in chunk:
        case_status, subject_status = _decision_target(action, row["auto_action"])
        targets[case_status, subject_status].append(row["pk"])
        text = row["final_text"] or row["text"]
        entries.append(AuditEntry(workspace_id=job.workspace_id, case_id=row["pk"], actor=actor,
                                  actor_name=_actor_name(actor), action=action, job=job,
                                  before_status=row["subject_status"], after_status=subject_status,
                                  before_text=text, after_text=text, note=note))
        changes[row["subject_type"]].append({"subject_id": row["subject_id"], "status": subject_status,
                                             "text": None, "case_id": row["pk"]})
    decided = ({"decision": "", "decided_by": None, "decided_at": None, "assigned_to": None}
               if action == AuditAction.SEND_BACK else {"decision": action, "decided_by": actor, "decided_at": now})
    for (case_status, subject_status), case_ids in targets.items():
        ModerationCase.objects.filter(pk__in=case_ids).update(status=case_status, subject_status=subject_status,
                                                              updated_at=now, **decided)
    AuditEntry.objects.bulk_create(entries)
    for subject_type, subject_changes in changes.items():
        _apply_to_subjects(job.workspace_id, subject_type, subject_changes)
