"""People's actions on drafts: edit (moderated again), approve (only a draft moderation approved and with
no policy flag left), reject; and erasure's clean-up of sources."""

from __future__ import annotations

from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import ANALYZE
from apps.core.errors import NotFound
from apps.corpus.models import ModerationStatus

from .. import checks, selectors
from ..models import ReplyDraft, ReplyStatus
from .errors import ReplyConflict, ReplyError
from .review import _take_text, moderate_drafts

EDIT_MAX_CHARS = 5000


def _draft(ctx: WorkspaceContext, draft_id: int) -> ReplyDraft:
    draft = selectors.get_draft(ctx.workspace, draft_id)
    if draft is None:
        raise NotFound("No such reply draft in this workspace.")
    return draft


def edit_draft(ctx: WorkspaceContext, draft_id: int, body: str) -> ReplyDraft:
    """A person's edit: checked against the policy again, any approval withdrawn, and moderated again."""
    ctx.require(ANALYZE)
    draft = _draft(ctx, draft_id)
    body = (body or "").strip()
    if not body:
        raise ReplyError("The reply cannot be empty.")
    if len(body) > EDIT_MAX_CHARS:
        raise ReplyError(f"Keep the reply under {EDIT_MAX_CHARS} characters.")
    if body == draft.body:
        return draft
    _take_text(draft, body, "edit", ctx.user)
    draft.status, draft.approved_by, draft.approved_at = ReplyStatus.DRAFT, None, None
    draft.moderation_status, draft.moderation_reason = ModerationStatus.UNCHECKED, ""
    draft.save(update_fields=["status", "approved_by", "approved_at", "moderation_status", "moderation_reason",
                              "updated_at"])
    moderate_drafts([draft])
    return draft


BLOCKING_FLAGS_EXCLUDE = (checks.LANGUAGE,)  # a person may knowingly answer in another language


def blocking_flags(draft: ReplyDraft) -> list[dict]:
    return [f for f in draft.policy_flags or [] if f.get("kind") not in BLOCKING_FLAGS_EXCLUDE]


def approve_draft(ctx: WorkspaceContext, draft_id: int) -> ReplyDraft:
    """A person approves a reply for posting; refused until moderation approved this exact body and no policy
    flag is left."""
    ctx.require(ANALYZE)
    draft = _draft(ctx, draft_id)
    if draft.status == ReplyStatus.APPROVED:
        return draft
    if draft.moderation_status != ModerationStatus.APPROVED:
        if draft.moderation_status in (ModerationStatus.REJECTED, ModerationStatus.HIDDEN):
            raise ReplyConflict("Moderation rejected this reply" + (f" ({draft.moderation_reason})"
                                                                    if draft.moderation_reason else "")
                                + ". Edit it (it is moderated again) or draft a new one.")
        raise ReplyConflict(f"Moderation has not approved this reply yet (it is {draft.moderation_status}); "
                            "approve it once moderation has.")
    flags = blocking_flags(draft)
    if flags:
        quoted = ", ".join(f"“{f['text']}”" for f in flags[:5])
        raise ReplyConflict(f"This reply states or offers what the reply policy does not cover ({quoted}). "
                            "Edit those parts out, then approve.")
    draft.status, draft.approved_by, draft.approved_at = ReplyStatus.APPROVED, ctx.user, timezone.now()
    draft.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return draft


def reject_draft(ctx: WorkspaceContext, draft_id: int) -> ReplyDraft:
    ctx.require(ANALYZE)
    draft = _draft(ctx, draft_id)
    draft.status, draft.approved_by, draft.approved_at = ReplyStatus.REJECTED, None, None
    draft.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return draft


def forget_texts(workspace: Workspace, text_ids: list[int]) -> int:
    """For erasure: drop erased texts from the sources of other drafts (drafts answering them cascade away).
    Returns how many drafts changed."""
    gone = set(text_ids)
    changed = []
    for draft in ReplyDraft.objects.filter(workspace=workspace).only("pk", "sources").iterator(chunk_size=1000):
        cited = (draft.sources or {}).get("texts", [])
        if gone.intersection(cited):
            draft.sources = {**draft.sources, "texts": [i for i in cited if i not in gone]}
            changed.append(draft)
    ReplyDraft.objects.bulk_update(changed, ["sources"], batch_size=1000)
    return len(changed)
