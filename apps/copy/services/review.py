"""A variant under review: every kept, edited or regenerated variant goes to moderation
(`moderate_generated_many`), whose verdicts (now or later, from its judge or a moderator) are stored on the
variant; a later rejection withdraws an approval, and the old text goes to the variant's history."""

from __future__ import annotations

import re
from collections import defaultdict

from django.utils import timezone

from apps.corpus.models import ModerationStatus
from apps.corpus.tokens import content_tokens, has_cjk, normalise
from apps.moderation.reviewed import HISTORY_KEPT as HISTORY_KEPT  # one rule for both apps; re-exported
from apps.moderation.services import explain_status

from ..models import CopyVariant
from .brief import brief_of
from .claims import claims_for

SUBJECT_TYPE = "copy_variant"  # what moderation calls a variant


def moderate_variants(variants: list[CopyVariant]) -> None:
    """Hand new or edited variants to moderation, the one place that judges text (its fast detectors, then its
    LLM judge for what they cannot settle), and store each verdict on its variant. Until moderation approves a
    variant, nobody can approve it. When no model server answers, unsettled variants wait for a moderator."""
    from apps.moderation import services as moderation

    by_language: dict[str, list[CopyVariant]] = defaultdict(list)
    for variant in variants:  # each variant is judged in its own language (the detectors' lexicons differ)
        by_language[variant.language].append(variant)
    for language, group in by_language.items():
        asked = [cta for v in group for cta in calls_to_action_asked(v.request.goal, v.call_to_action)]
        verdicts = moderation.moderate_generated_many(group[0].workspace, SUBJECT_TYPE, [(v.pk, v.text) for v in group],
                                                      language=language, source="copy",
                                                      allowed_calls_to_action=list(dict.fromkeys(asked)))
        for variant, verdict in zip(group, verdicts, strict=True):
            reason = explain_status(verdict.status, verdict.categories, verdict.rationale, verdict.offending_span)
            _set_moderation(variant, verdict.status, reason, verdict.case_id)


def calls_to_action_asked(goal: str, call_to_action: str) -> list[str]:
    """The variant's call to action when it asks for what the brief's goal asks for ("Pre-order now" for the
    goal "pre-orders of the new model"; "立即预售" for "双十一预售"): copy is not spam for asking that. A call to
    action sharing no word stem with the goal ("Click here") earns no allowance."""
    goal_words = {w[:5] for w in re.findall(r"[a-z]{4,}", normalise(goal))}
    cta_words = {w[:5] for w in re.findall(r"[a-z]{4,}", normalise(call_to_action))}
    shared = bool(goal_words & cta_words) or bool(
        {b for b in content_tokens(goal) if has_cjk(b)} & {b for b in content_tokens(call_to_action)})
    return [call_to_action.strip()] if call_to_action.strip() and shared else []


def moderate_variant(variant: CopyVariant) -> CopyVariant:
    moderate_variants([variant])
    return variant


def _set_moderation(variant: CopyVariant, status: str, reason: str, case_id: int | None) -> None:
    fields = variant.take_moderation(status, reason, case_id)
    if status != ModerationStatus.APPROVED and variant.approved:  # a later rejection withdraws an approval
        variant.approved = False
        fields |= {"approved": False, "approved_by": None, "approved_at": None}
    CopyVariant.objects.filter(pk=variant.pk).update(**fields)


def apply_moderation_outcome(workspace_id: int, changes: list[dict]) -> None:
    """Moderation decided on variants (its judge finished, or a moderator approved, edited or rejected one):
    store the status and the reason. A moderator's edit becomes the variant's text."""
    from apps.moderation import selectors as moderation

    ids = [int(c["subject_id"]) for c in changes if str(c.get("subject_id", "")).isdigit()]
    variants = {v.pk: v for v in CopyVariant.objects.filter(workspace_id=workspace_id, pk__in=ids)
                .select_related("request")}
    for change in changes:
        variant = variants.get(int(change["subject_id"])) if str(change.get("subject_id", "")).isdigit() else None
        if variant is None:
            continue
        case = moderation.get_case(workspace_id, change["case_id"]) if change.get("case_id") else None
        note = ""
        if case is not None and case.decision:
            trail = moderation.audit_trail(case)
            note = trail[-1].note if trail else ""
        if change.get("text") and change["text"] != variant.text:
            _take_moderator_text(variant, change["text"], case.decided_by if case else None)
        reason = explain_status(change["status"], list(case.categories) if case else [], case.rationale if case else "",
                         case.offending_span if case else "", note)
        _set_moderation(variant, change["status"], reason, change.get("case_id"))


def _take_moderator_text(variant: CopyVariant, text: str, user) -> None:
    """'Edit and approve' by a moderator: the corrected text replaces the variant's (split back into parts)."""
    parts = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    if len(parts) >= 3:
        headline, body, cta = parts[0], "\n\n".join(parts[1:-1]), parts[-1]
    elif len(parts) == 2:
        headline, body, cta = parts[0], parts[1], ""
    else:
        headline, body, cta = "", text.strip(), ""
    _remember(variant, "moderator edit", user)
    variant.headline, variant.body, variant.call_to_action = headline[:300], body, cta[:120]
    variant.flagged_claims = claims_for(variant.headline, variant.body, variant.call_to_action,
                                        variant.request.grounding, brief_of(variant.request),
                                        variant.request.brand_voice)
    variant.edited = True
    variant.save(update_fields=["headline", "body", "call_to_action", "flagged_claims", "edited", "history",
                                "updated_at"])


def _remember(variant: CopyVariant, why: str, user=None, job_id: str | None = None) -> None:
    entry = {"headline": variant.headline, "body": variant.body, "call_to_action": variant.call_to_action,
             "why": why, "at": timezone.now().isoformat(), "by": getattr(user, "username", None),
             "job": job_id, "moderation_status": variant.moderation_status}
    variant.remember(entry)


def _reset_review(variant: CopyVariant) -> None:
    variant.approved, variant.approved_by, variant.approved_at = False, None, None
    variant.moderation_status, variant.moderation_reason = ModerationStatus.UNCHECKED, ""
