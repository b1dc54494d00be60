"""A draft under review: every stored or edited draft goes to moderation (`moderate_generated_many`), whose
verdicts (now or later, from its judge or a moderator) are stored on the draft; a new body goes to the
draft's history and is checked against the policy again."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from apps.corpus.models import ModerationStatus
from apps.moderation.reviewed import HISTORY_KEPT as HISTORY_KEPT  # one rule for both apps; re-exported
from apps.moderation.services import explain_status
from apps.translation.services.languages import reply_language

from .. import checks, selectors
from ..models import ReplyDraft, ReplyStatus
from .generation import flags_for
from .grounding import allowed_for, voice_for

SUBJECT_TYPE = "reply_draft"  # what moderation calls a draft


def moderate_drafts(drafts: list[ReplyDraft]) -> None:
    """Hand new or edited drafts to moderation (the one place that judges text) and store each verdict. When no
    model server answers, drafts the fast detectors cannot settle wait for a moderator."""
    from apps.moderation import services as moderation

    by_language: dict[str, list[ReplyDraft]] = defaultdict(list)
    for draft in drafts:
        by_language[draft.language].append(draft)
    for language, group in by_language.items():
        verdicts = moderation.moderate_generated_many(group[0].workspace, SUBJECT_TYPE,
                                                      [(d.pk, d.body) for d in group], language=language,
                                                      source="replies")
        for draft, verdict in zip(group, verdicts, strict=True):
            reason = explain_status(verdict.status, verdict.categories, verdict.rationale, verdict.offending_span)
            _set_moderation(draft, verdict.status, reason, verdict.case_id)


def _set_moderation(draft: ReplyDraft, status: str, reason: str, case_id: int | None) -> None:
    fields = draft.take_moderation(status, reason, case_id)
    if status != ModerationStatus.APPROVED and draft.status == ReplyStatus.APPROVED:
        draft.status, draft.approved_by, draft.approved_at = ReplyStatus.DRAFT, None, None  # a later rejection
        fields |= {"status": ReplyStatus.DRAFT, "approved_by": None, "approved_at": None}  # withdraws approval
    ReplyDraft.objects.filter(pk=draft.pk).update(**fields)


def apply_moderation_outcome(workspace_id: int, changes: list[dict]) -> None:
    """Moderation decided on drafts (its judge finished, or a moderator approved, edited or rejected one): store
    the status and the reason. A moderator's edit becomes the draft's body (checked against the policy again)."""
    from apps.moderation import selectors as moderation

    ids = [int(c["subject_id"]) for c in changes if str(c.get("subject_id", "")).isdigit()]
    drafts = {d.pk: d for d in ReplyDraft.objects.filter(workspace_id=workspace_id, pk__in=ids)
              .select_related("text", "workspace")}
    for change in changes:
        draft = drafts.get(int(change["subject_id"])) if str(change.get("subject_id", "")).isdigit() else None
        if draft is None:
            continue
        case = moderation.get_case(draft.workspace, change["case_id"]) if change.get("case_id") else None
        note = ""
        if case is not None and case.decision:
            trail = moderation.audit_trail(case)
            note = trail[-1].note if trail else ""
        if change.get("text") and change["text"] != draft.body:
            _take_text(draft, change["text"], "moderator edit", case.decided_by if case else None)
        reason = explain_status(change["status"], list(case.categories) if case else [], case.rationale if case else "",
                         case.offending_span if case else "", note)
        _set_moderation(draft, change["status"], reason, change.get("case_id"))


def _take_text(draft: ReplyDraft, body: str, why: str, user) -> None:
    """A new body for the draft: the old one goes to its history, the policy checks run again."""
    policy = selectors.reply_policy(draft.workspace)
    snippets = selectors.snippets(draft.workspace)
    language = reply_language(draft.text)
    entry = {"body": draft.body, "why": why, "at": timezone.now().isoformat(), "by": getattr(user, "username", None),
             "status": draft.status, "moderation_status": draft.moderation_status}
    draft.remember(entry)
    draft.body = body
    draft.policy_flags = flags_for(body, allowed_for(draft.text, policy, snippets, voice_for(draft.workspace, policy)),
                                   language)
    draft.language = language if checks.language_matches(body, language) else (checks.written_in(body) or "")
    draft.edited = True
    draft.save(update_fields=["history", "body", "policy_flags", "language", "edited", "updated_at"])
