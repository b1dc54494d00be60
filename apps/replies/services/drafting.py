"""Drafting as a job on the `llm` queue: a set of texts (chosen by id or by filter), a chunk of texts at a
time, each grounded, drafted, stored and moderated. Safe to run again."""

from __future__ import annotations

import random

from django.db import transaction

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import ANALYZE
from apps.corpus.models import ModerationStatus
from apps.corpus.selectors import texts_by_ids
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.translation.services.selection import Selection, _chunks, resolve_texts

from .. import selectors
from ..models import ReplyDraft
from .errors import ReplyError
from .generation import REPLY_PROMPT, REPLY_VERSION, Generation, Slot, generate, prepare_slots
from .grounding import embed_snippets, voice_for
from .review import moderate_drafts

MAX_TEXTS_PER_JOB = 200
MAX_VARIANTS = 3
CHUNK_TEXTS = 16  # texts per gateway batch: bounded memory, progress after each


def start_drafts(ctx: WorkspaceContext, selection: Selection, variants: int = 1) -> Job:
    ctx.require(ANALYZE)
    if not 1 <= int(variants) <= MAX_VARIANTS:
        raise ReplyError(f"Ask for 1 to {MAX_VARIANTS} drafts per text.")
    ids = resolve_texts(ctx, selection, MAX_TEXTS_PER_JOB)
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "reply_drafts", total=len(ids), user=ctx.user,
                              message=f"Queued: drafting replies to {len(ids)} texts.",
                              params={"text_ids": ids, "variants": int(variants), "seed": random.randrange(1, 2**30),
                                      "selection": selection.describe()})
        resend_drafts(job)
    return job


def resend_drafts(job: Job) -> None:
    """Queue the drafting task; also how a failed job is retried (texts it already drafted are skipped)."""
    from ..tasks import draft_replies_task

    jobs.publish_on_commit(job.pk, lambda: draft_replies_task.delay(job_id=str(job.pk)))


def _sources(refs: list[str]) -> dict[str, list[int]]:
    kinds = {"text": "texts", "snippet": "snippets", "reply": "replies"}
    out: dict[str, list[int]] = {"texts": [], "snippets": [], "replies": []}
    for ref in refs:
        kind, _, number = ref.partition(":")
        if kind in kinds and number.isdigit():
            out[kinds[kind]].append(int(number))
    return out


def _store(job: Job, slots: list[Slot], generation: Generation) -> list[ReplyDraft]:
    texts = {s.key: s.text for s in slots}
    rows = [ReplyDraft(workspace_id=job.workspace_id, text=texts[key], job=job, variant=key[1], body=d.body,
                       language=d.language, points=d.points, sources=_sources(d.refs), policy_flags=d.flags,
                       attempts=d.attempts, model=d.model[:100], prompt=REPLY_PROMPT, prompt_version=REPLY_VERSION,
                       seed=d.seed, created_by_id=job.created_by_id)
            for key, d in sorted(generation.drafted.items())]
    with transaction.atomic():
        return ReplyDraft.objects.bulk_create(rows)


def run_drafts(job_id: str) -> None:
    """Task body. Safe to run again: texts that already have drafts from this job are skipped."""
    job = Job.objects.select_related("workspace").get(pk=job_id)
    if job.is_finished:
        return
    workspace = job.workspace
    ids: list[int] = job.params["text_ids"]
    variants, seed = int(job.params.get("variants", 1)), int(job.params.get("seed", 1))
    jobs.mark_running(job.pk, total=len(ids), message="Finding what each reply may draw on.")
    policy = selectors.reply_policy(workspace)
    voice = voice_for(workspace, policy)
    snippets = selectors.snippets(workspace)
    embed_snippets(workspace, snippets)
    texts = texts_by_ids(workspace, ids)  # texts erased since the job was queued are skipped
    done_ids = set(ReplyDraft.objects.filter(job=job).values_list("text_id", flat=True))
    notes: list[str] = []
    failed: list[int] = []
    done = 0
    for chunk in _chunks(ids, CHUNK_TEXTS):
        todo = [texts[i] for i in chunk if i in texts and i not in done_ids]
        if todo:
            slots = prepare_slots(workspace, todo, variants, seed, policy, voice, snippets)
            generation = generate(workspace, slots, should_cancel=lambda: jobs.cancel_requested(job.pk))
            if generation.cancelled or jobs.cancel_requested(job.pk):
                kept = ReplyDraft.objects.filter(job=job).count()
                jobs.fail(job.pk, f"Cancelled; {kept} drafts written before were kept.")
                return
            moderate_drafts(_store(job, slots, generation))
            notes += generation.notes
            failed += generation.failed
        done += len(chunk)
        jobs.set_progress(job.pk, done, message=f"{done} of {len(ids)} texts drafted and moderated.")
    drafts = ReplyDraft.objects.filter(job=job)
    count = drafts.count()
    if count == 0:
        jobs.fail(job.pk, "No reply could be drafted. " + " ".join(notes[:3])
                  + " Check the model server on the status page, then try again.")
        return
    flagged = drafts.exclude(policy_flags=[]).count()
    approved = drafts.filter(moderation_status=ModerationStatus.APPROVED).count()
    jobs.succeed(job.pk, {"drafts": count, "texts": len(ids), "flagged": flagged, "moderation_approved": approved,
                          "failed_texts": failed, "notes": notes[:50]},
                 message=f"{count} drafts for {len(ids) - len(failed)} texts; {approved} cleared by moderation"
                         + (f", {flagged} with policy flags to edit." if flagged else "."))
