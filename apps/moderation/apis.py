"""The moderation API. Every endpoint needs the moderate permission (owners and moderators) except the
policy's update, which needs an owner. `request.auth` is a WorkspaceContext."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import MODERATE

from . import selectors, services
from .models import AuditEntry, CaseNote, CaseStatus, ModerationCase

router = Router(tags=["moderation"])


class CaseFilterParams(Schema):
    status: str = CaseStatus.PENDING  # "all" for every status, "open" for screening or pending
    category: str | None = None
    source: str | None = None
    stage: str | None = None
    subject_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    assigned_to: str | None = None  # a user id, "me" or "none"
    min_severity: int | None = None
    q: str | None = None

    def to_filters(self, ctx: WorkspaceContext) -> selectors.CaseFilters:
        values = self.dict()
        if values["status"] == "all":
            values["status"] = None
        if values["assigned_to"] == "me":
            values["assigned_to"] = str(ctx.user.pk)
        elif values["assigned_to"] not in (None, "", "none") and not str(values["assigned_to"]).isdigit():
            raise HttpError(400, "assigned_to must be a user id, 'me' or 'none'.")
        return selectors.CaseFilters(**values)


class CaseOut(Schema):
    id: int
    subject_type: str
    subject_id: str
    text: str
    final_text: str | None
    source: str
    language: str
    status: str
    subject_status: str
    stage: str
    categories: list[str]
    scores: dict[str, int]
    severity: int
    rationale: str
    offending_span: str
    span: list[int] | None
    signals: list[dict[str, Any]]
    auto_action: str
    decision: str
    decided_by: str | None
    decided_at: datetime | None
    assigned_to: str | None
    created_at: datetime


class NoteOut(Schema):
    id: int
    author: str | None
    body: str
    created_at: datetime


class AuditOut(Schema):
    id: int
    case_id: int
    actor: str
    action: str
    before_status: str
    after_status: str
    before_text: str
    after_text: str
    note: str
    job_id: str | None
    created_at: datetime


class CaseDetailOut(CaseOut):
    notes: list[NoteOut]
    audit: list[AuditOut]


class CasePage(Schema):
    count: int
    results: list[CaseOut]


class DecisionIn(Schema):
    action: str  # approve, edit (edit and approve: send `text`), reject, send_back
    text: str | None = None
    note: str = ""


class NoteIn(Schema):
    body: str


class AssignIn(Schema):
    user_id: int | None = None  # None unassigns


class BulkFilters(Schema):
    status: str | None = CaseStatus.PENDING
    category: str | None = None
    source: str | None = None
    stage: str | None = None
    subject_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    assigned_to: str | None = None
    min_severity: int | None = None
    q: str | None = None


class BulkIn(Schema):
    action: str  # approve, reject, send_back, assign
    case_ids: list[int] | None = None
    filters: BulkFilters | None = None  # every case matching these, instead of case_ids
    note: str = ""
    assignee_id: int | None = None


class ModerationJobAccepted(Schema):
    job_id: str
    total: int


class RuleIO(Schema):
    threshold: int
    action: str


class PolicyOut(Schema):
    rules: dict[str, RuleIO]
    exclude_pending_from_analysis: bool
    use_llm_judge: bool


class ModerationPolicyIn(Schema):
    rules: dict[str, RuleIO] | None = None
    exclude_pending_from_analysis: bool | None = None
    use_llm_judge: bool | None = None


def _name(user) -> str | None:
    return user.get_username() if user is not None else None


def case_out(case: ModerationCase) -> dict[str, Any]:
    return {
        "id": case.pk, "subject_type": case.subject_type, "subject_id": case.subject_id, "text": case.text,
        "final_text": case.final_text or None, "source": case.source, "language": case.language,
        "status": case.status, "subject_status": case.subject_status, "stage": case.stage,
        "categories": list(case.categories), "scores": case.scores, "severity": case.severity,
        "rationale": case.rationale, "offending_span": case.offending_span,
        "span": [case.span_start, case.span_end] if case.span_start is not None else None,
        "signals": case.signals, "auto_action": case.auto_action, "decision": case.decision,
        "decided_by": _name(case.decided_by), "decided_at": case.decided_at, "assigned_to": _name(case.assigned_to),
        "created_at": case.created_at,
    }


def audit_out(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.pk, "case_id": entry.case_id, "actor": entry.actor_name, "action": entry.action,
            "before_status": entry.before_status, "after_status": entry.after_status,
            "before_text": entry.before_text, "after_text": entry.after_text, "note": entry.note,
            "job_id": str(entry.job_id) if entry.job_id else None, "created_at": entry.created_at}


def note_out(note: CaseNote) -> dict[str, Any]:
    return {"id": note.pk, "author": _name(note.author), "body": note.body, "created_at": note.created_at}


def _case_or_404(ctx: WorkspaceContext, case_id: int) -> ModerationCase:
    case = selectors.get_case(ctx.workspace, case_id)
    if case is None:
        raise HttpError(404, "No such case in this workspace.")
    return case


@router.get("/moderation/cases", response=CasePage)
def list_cases(request: HttpRequest, filters: Query[CaseFilterParams], limit: int = 50, offset: int = 0):
    request.auth.require(MODERATE)
    if not 1 <= limit <= 500 or offset < 0:
        raise HttpError(400, "limit must be 1..500 and offset >= 0.")
    count, page = selectors.list_cases(request.auth.workspace, filters.to_filters(request.auth), limit=limit,
                                       offset=offset)
    return {"count": count, "results": [case_out(c) for c in page]}


@router.get("/moderation/cases/{case_id}", response=CaseDetailOut)
def case_detail(request: HttpRequest, case_id: int):
    request.auth.require(MODERATE)
    case = _case_or_404(request.auth, case_id)
    return {**case_out(case), "notes": [note_out(n) for n in case.notes.select_related("author")],
            "audit": [audit_out(e) for e in selectors.audit_trail(case)]}


@router.post("/moderation/cases/{case_id}/decision", response=CaseOut)
def decide(request: HttpRequest, case_id: int, payload: DecisionIn):
    case = services.decide(request.auth, case_id, payload.action, text=payload.text, note=payload.note)
    return case_out(selectors.get_case(request.auth.workspace, case.pk))


@router.post("/moderation/cases/{case_id}/undo", response=CaseOut)
def undo(request: HttpRequest, case_id: int):
    """Undo the case's latest decision: only your own, only while it is the case's latest action, within
    15 minutes (409 otherwise, with the reason). The case and its subject go back to how they were."""
    case = services.undo_last_decision(request.auth, case_id)
    return case_out(selectors.get_case(request.auth.workspace, case.pk))


@router.post("/moderation/cases/{case_id}/notes", response={201: NoteOut})
def add_note(request: HttpRequest, case_id: int, payload: NoteIn):
    note = services.add_note(request.auth, case_id, payload.body)
    return 201, note_out(note)


@router.post("/moderation/cases/{case_id}/assign", response=CaseOut)
def assign(request: HttpRequest, case_id: int, payload: AssignIn):
    case = services.assign(request.auth, case_id, payload.user_id)
    return case_out(selectors.get_case(request.auth.workspace, case.pk))


@router.post("/moderation/bulk", response={202: ModerationJobAccepted})
def bulk(request: HttpRequest, payload: BulkIn):
    filters = None
    if payload.filters is not None:
        values = payload.filters.dict()
        if values["status"] == "all":
            values["status"] = None
        if values["assigned_to"] == "me":
            values["assigned_to"] = str(request.auth.user.pk)
        filters = selectors.CaseFilters(**values)
    job = services.start_bulk_decision(request.auth, payload.action, case_ids=payload.case_ids, filters=filters,
                                       note=payload.note, assignee_id=payload.assignee_id)
    return 202, {"job_id": str(job.pk), "total": job.total}


@router.post("/moderation/screen-unchecked", response={202: ModerationJobAccepted})
def screen_unchecked(request: HttpRequest):
    job = services.start_backlog_screening(request.auth)
    return 202, {"job_id": str(job.pk), "total": job.total}


@router.get("/moderation/metrics")
def metrics(request: HttpRequest, days: int = 14):
    request.auth.require(MODERATE)
    if not 1 <= days <= 365:
        raise HttpError(400, "days must be 1..365.")
    return selectors.metrics(request.auth.workspace, days=days)


@router.get("/moderation/audit", response=list[AuditOut])
def audit(request: HttpRequest, limit: int = 100, offset: int = 0):
    request.auth.require(MODERATE)
    if not 1 <= limit <= 1000 or offset < 0:
        raise HttpError(400, "limit must be 1..1000 and offset >= 0.")
    return [audit_out(e) for e in selectors.audit_log(request.auth.workspace, limit=limit, offset=offset)]


def _policy_out(policy: selectors.PolicySnapshot) -> dict[str, Any]:
    return {"rules": {c: {"threshold": r.threshold, "action": r.action} for c, r in policy.rules.items()},
            "exclude_pending_from_analysis": policy.exclude_pending_from_analysis,
            "use_llm_judge": policy.use_llm_judge}


@router.get("/moderation/policy", response=PolicyOut)
def get_policy(request: HttpRequest):
    request.auth.require(MODERATE)
    return _policy_out(selectors.policy_snapshot(request.auth.workspace))


@router.put("/moderation/policy", response=PolicyOut)
def put_policy(request: HttpRequest, payload: ModerationPolicyIn):
    rules = {c: r.dict() for c, r in payload.rules.items()} if payload.rules else None
    policy = services.update_policy(request.auth, rules=rules,
                                    exclude_pending_from_analysis=payload.exclude_pending_from_analysis,
                                    use_llm_judge=payload.use_llm_judge)
    return _policy_out(policy)
