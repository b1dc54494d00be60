"""A copy request as a job on the `llm` queue: grounded once, every variant written, stored with its flagged
claims and moderated; failed, retried and resent."""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import ANALYZE
from apps.corpus.models import ModerationStatus
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.llm.gateway import LLMError, LLMUnavailable
from apps.moderation.selectors import analysable_texts

from ..models import CopyRequest, CopyStatus, CopyVariant, IdeaSet
from .brief import Brief, brand_voice_for, brief_of, parse_brief, voice_snapshot
from .claims import claims_for
from .errors import CopyError
from .generation import VARIANTS_PROMPT, VARIANTS_VERSION, Generation, generate
from .grounding import ground
from .review import moderate_variants


def start_copy(ctx: WorkspaceContext, brief_data: dict) -> CopyRequest:
    ctx.require(ANALYZE)
    brief = parse_brief(brief_data)
    if not analysable_texts(ctx.workspace).exists():
        raise CopyError("Import customer texts first (and let moderation clear them): copy is grounded in what "
                        "your customers wrote.")
    voice = brand_voice_for(ctx.workspace)
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "copy", total=brief.variants + 2, user=ctx.user)
        request = CopyRequest.objects.create(
            workspace=ctx.workspace, job=job, created_by=job.created_by, product=brief.product,
            audience=brief.audience, goal=brief.goal, channel=brief.channel, tone=brief.tone, length=brief.length,
            key_message=brief.key_message, variants_requested=brief.variants, language=brief.language,
            locale=brief.locale, brand_voice=voice_snapshot(voice), seed=random.randrange(1, 2**30),
            prompt=VARIANTS_PROMPT, prompt_version=VARIANTS_VERSION)
        job.params = {"copy_id": request.pk}
        job.save(update_fields=["params"])
        _publish_copy(request)
    return request


def _publish_copy(request: CopyRequest) -> None:
    from ..tasks import run_copy_task

    jobs.publish_on_commit(request.job_id, lambda: run_copy_task.delay(request.pk, job_id=str(request.job_id)),
                           on_unreachable=lambda error: _fail(request, error))


def run_copy(copy_id: int) -> None:
    request = CopyRequest.objects.select_related("workspace").filter(pk=copy_id).first()
    if request is None or request.status in (CopyStatus.SUCCEEDED, CopyStatus.FAILED):
        return  # deleted since (with its workspace), or a late duplicate delivery of a finished request
    job_id, brief = request.job_id, brief_of(request)
    total = brief.variants + 2
    CopyRequest.objects.filter(pk=request.pk).update(status=CopyStatus.RUNNING)
    jobs.mark_running(job_id, total=total, message="Finding what customers said about it.")
    if not request.variants.exists():  # a retried task skips what a previous attempt already stored
        if not request.grounding:
            request.grounding = ground(request.workspace, brief)
            CopyRequest.objects.filter(pk=request.pk).update(grounding=request.grounding)
        jobs.set_progress(job_id, 1, message=f"Writing {brief.variants} variants.")
        slots = [(p, request.seed + 1000 * p) for p in range(1, brief.variants + 1)]
        try:
            generation = generate(
                request.workspace, brief, request.brand_voice, request.grounding, slots,
                should_cancel=lambda: jobs.cancel_requested(job_id),
                on_progress=lambda n: jobs.set_progress(job_id, 1 + n, message=f"{n} of {brief.variants} written."))
        except LLMUnavailable:
            raise  # the task waits for the model server and runs again
        except LLMError as exc:
            _fail(request, str(exc))
            return
        if generation.cancelled or jobs.cancel_requested(job_id):
            _fail(request, "Cancelled.")
            return
        _store(request, brief, generation)
    jobs.set_progress(job_id, brief.variants + 1, message="Moderating the variants.")
    variants = list(request.variants.select_related("workspace"))
    moderate_variants([v for v in variants if v.moderation_status == ModerationStatus.UNCHECKED])
    request.refresh_from_db()
    if not variants:
        _fail(request, "No variant could be kept: " + " ".join(request.notes)
              + " Change the brief or the brand voice's words to avoid, then try again.")
        return
    CopyRequest.objects.filter(pk=request.pk).update(status=CopyStatus.SUCCEEDED, finished_at=timezone.now())
    jobs.succeed(job_id, {"copy_id": request.pk, "variants": len(variants), "notes": request.notes},
                 message=f"{len(variants)} variants written." + (" Some were dropped: see the notes." if
                                                                  len(variants) < brief.variants else ""))


def _store(request: CopyRequest, brief: Brief, generation: Generation) -> None:
    notes = [*request.grounding.get("notes", []), *generation.notes]
    with transaction.atomic():
        # A task redelivered while the first attempt still runs may finish too: the first to store wins.
        CopyRequest.objects.select_for_update().filter(pk=request.pk).first()
        if request.variants.exists():
            return
        CopyVariant.objects.bulk_create([
            CopyVariant(workspace=request.workspace, request=request, position=position,
                        headline=d.draft.headline, body=d.draft.body, call_to_action=d.draft.call_to_action,
                        language=d.language, sources=d.sources, sources_inferred=d.sources_inferred,
                        flagged_claims=claims_for(d.draft.headline, d.draft.body, d.draft.call_to_action,
                                                  request.grounding, brief, request.brand_voice),
                        model=d.model, prompt=VARIANTS_PROMPT, prompt_version=VARIANTS_VERSION, seed=d.seed,
                        attempts=d.attempts)
            for position, d in sorted(generation.drafted.items())])
        models = sorted({d.model for d in generation.drafted.values() if d.model})
        CopyRequest.objects.filter(pk=request.pk).update(notes=notes, model=", ".join(models)[:100])
    request.notes = notes


def _fail(request: CopyRequest, error: str) -> None:
    CopyRequest.objects.filter(pk=request.pk).update(status=CopyStatus.FAILED, finished_at=timezone.now())
    jobs.fail(request.job_id, error)


def sync_failed() -> None:
    """Requests and idea sets whose job failed (a task gave up) are marked failed too."""
    from apps.jobs.models import JobStatus

    failed = Job.objects.filter(kind__in=("copy", "copy_ideas"), status=JobStatus.FAILED).values_list("pk", flat=True)
    open_states = (CopyStatus.QUEUED, CopyStatus.RUNNING)
    CopyRequest.objects.filter(job_id__in=failed, status__in=open_states).update(status=CopyStatus.FAILED)
    IdeaSet.objects.filter(job_id__in=failed, status__in=open_states).update(status=CopyStatus.FAILED)


def resend_copy(job: Job) -> None:
    """Generate again. Variants a failed attempt already stored are kept (run_copy moderates them and finishes);
    otherwise a new seed, so a retry does not repeat drafts that were all dropped."""
    request = CopyRequest.objects.get(job=job)
    fields: dict = {"status": CopyStatus.QUEUED, "finished_at": None}
    if not request.variants.exists():
        fields["seed"] = random.randrange(1, 2**30)
    CopyRequest.objects.filter(pk=request.pk).update(**fields)
    _publish_copy(request)
