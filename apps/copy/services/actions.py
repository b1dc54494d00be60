"""People's actions on variants: edit (moderated again), favourite, approve (only a variant moderation
approved), regenerate (a job on the `llm` queue, with its retry)."""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import ANALYZE
from apps.core.errors import NotFound
from apps.corpus.models import ModerationStatus
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.llm.gateway import LLMError, LLMUnavailable

from .. import checks
from ..models import CopyStatus, CopyVariant
from .brief import brand_voice_for, brief_of, voice_snapshot
from .claims import claims_for
from .errors import CopyConflict, CopyError
from .generation import compose, generate, language_of
from .review import _remember, _reset_review, moderate_variant


def _variant(ctx: WorkspaceContext, variant_id: int, copy_id: int | None = None) -> CopyVariant:
    qs = CopyVariant.objects.filter(workspace=ctx.workspace, pk=variant_id).select_related("request")
    if copy_id is not None:
        qs = qs.filter(request_id=copy_id)
    variant = qs.first()
    if variant is None:
        raise NotFound("No such variant in this workspace.")
    return variant


def edit_variant(ctx: WorkspaceContext, variant_id: int, *, copy_id: int | None = None, headline: str | None = None,
                 body: str | None = None, call_to_action: str | None = None) -> CopyVariant:
    """A person's edit: checked against the brand voice, claims flagged again, and moderated again."""
    ctx.require(ANALYZE)
    variant = _variant(ctx, variant_id, copy_id)
    new = {"headline": variant.headline if headline is None else headline.strip(),
           "body": variant.body if body is None else body.strip(),
           "call_to_action": variant.call_to_action if call_to_action is None else call_to_action.strip()}
    if len(new["headline"]) > 300 or len(new["body"]) > 5000 or len(new["call_to_action"]) > 120:
        raise CopyError("Keep the headline under 300, the body under 5000 and the call to action under 120 "
                        "characters.")
    text = compose(**new)
    if not text:
        raise CopyError("The copy cannot be empty.")
    if new == {"headline": variant.headline, "body": variant.body, "call_to_action": variant.call_to_action}:
        return variant
    banned = checks.find_banned(text, brand_voice_for(ctx.workspace).words_to_avoid)
    if banned:
        raise CopyError(f"Your edit uses words the brand voice avoids: {', '.join(banned)}.")
    request = variant.request
    _remember(variant, "edit", ctx.user)
    variant.headline, variant.body, variant.call_to_action = new["headline"], new["body"], new["call_to_action"]
    variant.flagged_claims = claims_for(*new.values(), request.grounding, brief_of(request), request.brand_voice)
    variant.language = language_of(text, request.language)
    variant.edited, variant.edited_by = True, ctx.user if ctx.user and ctx.user.pk else None
    _reset_review(variant)
    variant.save()
    return moderate_variant(variant)


def set_favourite(ctx: WorkspaceContext, variant_id: int, favourite: bool, copy_id: int | None = None) -> CopyVariant:
    ctx.require(ANALYZE)
    variant = _variant(ctx, variant_id, copy_id)
    CopyVariant.objects.filter(pk=variant.pk).update(favourite=favourite)
    variant.favourite = favourite
    return variant


def approve_variant(ctx: WorkspaceContext, variant_id: int, copy_id: int | None = None) -> CopyVariant:
    """A person approves copy for use; refused until moderation approved this exact text."""
    ctx.require(ANALYZE)
    variant = _variant(ctx, variant_id, copy_id)
    if variant.moderation_status != ModerationStatus.APPROVED:
        if variant.moderation_status in (ModerationStatus.REJECTED, ModerationStatus.HIDDEN):
            raise CopyConflict("Moderation rejected this variant" + (f": {variant.moderation_reason}"
                                                                 if variant.moderation_reason else ".")
                            + " Edit or regenerate it.")
        raise CopyConflict("Moderation has not approved this variant yet "
                        f"(it is {variant.moderation_status}); approve it once moderation has.")
    variant.approved, variant.approved_by, variant.approved_at = True, ctx.user, timezone.now()
    variant.save(update_fields=["approved", "approved_by", "approved_at", "updated_at"])
    return variant


def regenerate_variant(ctx: WorkspaceContext, variant_id: int, copy_id: int | None = None) -> Job:
    """Write one variant again (a job on the `llm` queue) with a new seed; the old text goes to its history."""
    ctx.require(ANALYZE)
    variant = _variant(ctx, variant_id, copy_id)
    if variant.request.status != CopyStatus.SUCCEEDED:
        raise CopyConflict("Wait for the generation to finish before regenerating a variant.")
    with transaction.atomic():
        locked = CopyVariant.objects.select_for_update().get(pk=variant.pk)
        running = Job.objects.filter(pk=locked.regenerate_job_id).first() if locked.regenerate_job_id else None
        if running is not None and not running.is_finished:
            raise CopyConflict("This variant is already being regenerated.")
        job = jobs.create_job(ctx.workspace, "copy_regenerate", total=2, user=ctx.user,
                              params={"copy_id": variant.request_id, "variant_id": variant.pk})
        CopyVariant.objects.filter(pk=variant.pk).update(regenerate_job=job)
        _publish_regenerate(variant.pk, job)
    return job


def _publish_regenerate(variant_id: int, job: Job) -> None:
    from ..tasks import regenerate_variant_task

    jobs.publish_on_commit(job.pk, lambda: regenerate_variant_task.delay(variant_id, job_id=str(job.pk)))


def run_regenerate(variant_id: int, job_id: str) -> None:
    job = Job.objects.get(pk=job_id)
    if job.is_finished:
        return
    variant = CopyVariant.objects.select_related("request", "workspace").get(pk=variant_id)
    request = variant.request
    if not any(entry.get("job") == str(job_id) for entry in variant.history):  # not already done by a retry
        jobs.mark_running(job_id, total=2, message="Writing the variant again.")
        brief = brief_of(request)
        voice = voice_snapshot(brand_voice_for(variant.workspace))  # today's voice: the owner may have changed it
        try:
            generation = generate(variant.workspace, brief, voice, request.grounding,
                                  [(variant.position, random.randrange(1, 2**30))],
                                  should_cancel=lambda: jobs.cancel_requested(job_id))
        except LLMUnavailable:
            raise
        except LLMError as exc:
            jobs.fail(job_id, str(exc))
            return
        drafted = generation.drafted.get(variant.position)
        if generation.cancelled or drafted is None:
            jobs.fail(job_id, "Cancelled." if generation.cancelled else
                      " ".join(generation.notes) + " The variant was left as it was.")
            return
        with transaction.atomic():
            variant = CopyVariant.objects.select_for_update().get(pk=variant.pk)
            _remember(variant, "regenerate", job.created_by, str(job_id))
            d = drafted.draft
            variant.headline, variant.body, variant.call_to_action = d.headline, d.body, d.call_to_action
            variant.sources, variant.sources_inferred, variant.language = (drafted.sources, drafted.sources_inferred,
                                                                           drafted.language)
            variant.flagged_claims = claims_for(d.headline, d.body, d.call_to_action, request.grounding, brief, voice)
            variant.seed, variant.attempts, variant.model = drafted.seed, drafted.attempts, drafted.model
            variant.edited = False
            _reset_review(variant)
            variant.save()
    jobs.set_progress(job_id, 1, message="Moderating the new text.")
    variant.refresh_from_db()
    if variant.moderation_status == ModerationStatus.UNCHECKED:
        moderate_variant(variant)
    jobs.succeed(job_id, {"copy_id": request.pk, "variant_id": variant.pk}, message="Variant rewritten.")


def regenerate_retry_refusal(job: Job) -> str | None:
    variant = CopyVariant.objects.filter(pk=job.params.get("variant_id"), workspace_id=job.workspace_id).first()
    if variant is None:
        return "This variant no longer exists."
    if variant.regenerate_job_id != job.pk:
        return "This variant was regenerated again since: regenerate it from its page if you want another text."
    return None


def resend_regenerate(job: Job) -> None:
    _publish_regenerate(job.params["variant_id"], job)
