"""People's decisions on one case (approve, edit and approve, reject, send back), notes and assignment;
each written to the audit log."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Membership, Workspace
from apps.accounts.permissions import MODERATE, role_allows
from apps.corpus.models import ModerationStatus

from .. import selectors
from ..models import Action, AuditAction, AuditEntry, CaseNote, CaseStatus, ModerationCase
from .errors import CaseNotFound, ModerationError
from .pipeline import _apply_to_subjects, _change
from .verdicts import MAX_TEXT_CHARS

DECISIONS = (AuditAction.APPROVE, AuditAction.EDIT, AuditAction.REJECT, AuditAction.SEND_BACK)


def _decision_target(action: str, auto_action: str) -> tuple[str, str]:
    """(case status, subject status) after a decision."""
    if action in (AuditAction.APPROVE, AuditAction.EDIT):
        return CaseStatus.APPROVED, ModerationStatus.APPROVED
    if action == AuditAction.REJECT:
        return CaseStatus.REJECTED, ModerationStatus.REJECTED
    return CaseStatus.PENDING, (ModerationStatus.HIDDEN if auto_action == Action.HIDE else ModerationStatus.PENDING)


def _validate_decision(action: str, text: str | None, note: str) -> str | None:
    if action not in DECISIONS:
        raise ModerationError(f"Unknown action {action!r}; choose one of {', '.join(DECISIONS)}.")
    if len(note) > 5000:
        raise ModerationError("The note is too long: keep it under 5000 characters.")
    if action == AuditAction.EDIT:
        text = (text or "").strip()
        if not text:
            raise ModerationError("To edit and approve, send the corrected text in `text`.")
        if len(text) > MAX_TEXT_CHARS:
            raise ModerationError(f"The edited text is too long: keep it under {MAX_TEXT_CHARS} characters.")
        return text
    return None


def _actor_name(user) -> str:
    return user.get_username() if user is not None and user.pk else "system"


def decide(ctx: WorkspaceContext, case_id: int, action: str, *, text: str | None = None,
           note: str = "") -> ModerationCase:
    """Approve, edit and approve, reject, or send back one case; written to the audit log."""
    ctx.require(MODERATE)
    edited = _validate_decision(action, text, note.strip())
    with transaction.atomic():
        case = ModerationCase.objects.select_for_update().filter(workspace=ctx.workspace, pk=case_id).first()
        if case is None:
            raise CaseNotFound("No such case in this workspace.")
        before_status, before_text = case.subject_status, case.current_text
        case.status, case.subject_status = _decision_target(action, case.auto_action)
        now = timezone.now()
        if action == AuditAction.SEND_BACK:
            case.decision, case.decided_by, case.decided_at, case.assigned_to = "", None, None, None
        else:
            case.decision, case.decided_by, case.decided_at = action, ctx.user, now
        if edited is not None:
            case.final_text = edited
        case.save()
        AuditEntry.objects.create(
            workspace=ctx.workspace, case=case, actor=ctx.user, actor_name=_actor_name(ctx.user), action=action,
            before_status=before_status, after_status=case.subject_status, before_text=before_text,
            after_text=case.current_text, note=note.strip())
        _apply_to_subjects(ctx.workspace.pk, case.subject_type, [_change(case, case.subject_status, edited)])
    return case


def add_note(ctx: WorkspaceContext, case_id: int, body: str) -> CaseNote:
    ctx.require(MODERATE)
    body = body.strip()
    if not body or len(body) > 5000:
        raise ModerationError("Write a note of 1 to 5000 characters.")
    case = selectors.get_case(ctx.workspace, case_id)
    if case is None:
        raise CaseNotFound("No such case in this workspace.")
    return CaseNote.objects.create(case=case, author=ctx.user, body=body)


def _moderator(workspace: Workspace, user_id: int | None):
    if user_id is None:
        return None
    membership = Membership.objects.select_related("user").filter(workspace=workspace, user_id=user_id).first()
    if membership is None or not role_allows(membership.role, MODERATE):
        raise ModerationError("Cases can only be assigned to an owner or a moderator of this workspace.")
    return membership.user


def assign(ctx: WorkspaceContext, case_id: int, assignee_id: int | None) -> ModerationCase:
    """Assign a case to a moderator (or nobody). Logged like a decision, without changing any status."""
    ctx.require(MODERATE)
    assignee = _moderator(ctx.workspace, assignee_id)
    with transaction.atomic():
        case = ModerationCase.objects.select_for_update().filter(workspace=ctx.workspace, pk=case_id).first()
        if case is None:
            raise CaseNotFound("No such case in this workspace.")
        case.assigned_to = assignee
        case.save(update_fields=["assigned_to", "updated_at"])
        AuditEntry.objects.create(
            workspace=ctx.workspace, case=case, actor=ctx.user, actor_name=_actor_name(ctx.user),
            action=AuditAction.ASSIGN, before_status=case.subject_status, after_status=case.subject_status,
            note=f"Assigned to {assignee.get_username()}." if assignee else "Unassigned.")
    return case
