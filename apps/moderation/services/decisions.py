"""People's decisions on one case (approve, edit and approve, reject, send back), undoing the last one, notes
and assignment; each written to the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Membership, Workspace
from apps.accounts.permissions import MODERATE, role_allows
from apps.corpus.models import ModerationStatus

from .. import selectors
from ..models import Action, AuditAction, AuditEntry, CaseNote, CaseStatus, ModerationCase
from .errors import CaseNotFound, ModerationError, UndoRefused
from .pipeline import _apply_to_subjects, _change
from .verdicts import MAX_TEXT_CHARS

DECISIONS = (AuditAction.APPROVE, AuditAction.EDIT, AuditAction.REJECT, AuditAction.SEND_BACK)
# Undo is for the mistake noticed at once (a wrong key, the wrong case); later, a new decision corrects it.
UNDO_WINDOW = timedelta(minutes=15)


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
        before_status, before_text, previous = case.subject_status, case.current_text, _state_of(case)
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
            after_text=case.current_text, note=note.strip(), previous_state=previous)
        _apply_to_subjects(ctx.workspace.pk, case.subject_type, [_change(case, case.subject_status, edited)])
    return case


def _state_of(case: ModerationCase) -> dict[str, Any]:
    """The case fields a decision changes, as JSON, for AuditEntry.previous_state."""
    return {"status": case.status, "subject_status": case.subject_status, "final_text": case.final_text,
            "decision": case.decision, "decided_by": case.decided_by_id,
            "decided_at": case.decided_at.isoformat() if case.decided_at else None,
            "assigned_to": case.assigned_to_id}


def undo_refusal(entry: AuditEntry | None, case: ModerationCase, user: AbstractBaseUser | None) -> str | None:
    """Why `entry` (the case's latest audit entry) cannot be undone by `user`, or None when it can.

    The rule: only the case's latest action, if it is a decision (approve, edit, reject, send back) that
    `user` made on this case alone (not in bulk) less than UNDO_WINDOW ago, and the case still stands as that
    decision left it. So an undo is never undone in turn, and nobody undoes a colleague's decision or one that
    others may have acted on since: for those, decide the case again (the audit log keeps both)."""
    if entry is None or entry.action not in DECISIONS:
        return "There is no decision to undo: the case's latest action is not a decision."
    if entry.job_id is not None or not entry.previous_state:
        return "Decisions made in bulk (or before undo existed) cannot be undone: decide the case again."
    if user is None or entry.actor_id != user.pk:
        return f"Only {entry.actor_name} can undo their decision: decide the case again instead."
    if timezone.now() - entry.created_at > UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        return f"Decisions can be undone for {minutes} minutes only: decide the case again instead."
    if case.subject_status != entry.after_status or case.current_text != entry.after_text:
        return "The case changed after this decision (it was moderated again): decide it again instead."
    return None


def undo_last_decision(ctx: WorkspaceContext, case_id: int) -> ModerationCase:
    """Put a case, and its subject, back as they were before the case's latest decision (see `undo_refusal`
    for which decisions can be undone: the caller's own, the case's latest action, within UNDO_WINDOW).

    Restores the case's status, the subject's status, the text (an "edit and approve" is reverted: the subject
    gets its earlier text back), who decided and when, and the assignee. The undo is itself an audit entry;
    nothing in the log is removed."""
    ctx.require(MODERATE)
    with transaction.atomic():
        case = ModerationCase.objects.select_for_update().filter(workspace=ctx.workspace, pk=case_id).first()
        if case is None:
            raise CaseNotFound("No such case in this workspace.")
        entry = selectors.latest_entry(case)
        refusal = undo_refusal(entry, case, ctx.user)
        if refusal:
            raise UndoRefused(refusal)
        before_status, before_text, current = case.subject_status, case.current_text, _state_of(case)
        _restore(case, entry.previous_state)
        case.save()
        label = dict(AuditAction.choices).get(entry.action, entry.action)
        AuditEntry.objects.create(
            workspace=ctx.workspace, case=case, actor=ctx.user, actor_name=_actor_name(ctx.user),
            action=AuditAction.UNDO, before_status=before_status, after_status=case.subject_status,
            before_text=before_text, after_text=case.current_text, previous_state=current,
            note=f"Undid “{label}” of {entry.created_at:%Y-%m-%d %H:%M:%S}.")
        # The text goes back only when the decision changed it (an edit): the subject gets the words it had.
        text = case.current_text if entry.before_text != entry.after_text else None
        _apply_to_subjects(ctx.workspace.pk, case.subject_type, [_change(case, case.subject_status, text)])
    return case


def _restore(case: ModerationCase, state: dict[str, Any]) -> None:
    """The fields of `_state_of` back onto the case; a user deleted since is left out (the FK would fail)."""
    users = {state.get("decided_by"), state.get("assigned_to")} - {None}
    existing = set(get_user_model().objects.filter(pk__in=users).values_list("pk", flat=True)) if users else set()
    case.status, case.subject_status = state["status"], state["subject_status"]
    case.final_text, case.decision = state["final_text"], state["decision"]
    case.decided_by_id = state["decided_by"] if state["decided_by"] in existing else None
    case.decided_at = datetime.fromisoformat(state["decided_at"]) if state["decided_at"] else None
    case.assigned_to_id = state["assigned_to"] if state["assigned_to"] in existing else None


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
