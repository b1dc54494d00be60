"""Writes of embeddings: batches of texts in, vectors into pgvector; progress of the jobs that wait on them."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import MANAGE
from apps.corpus.models import CustomerText, TextImport
from apps.jobs import services as jobs
from apps.jobs.models import Job

from . import indexes
from .backends import get_backend, spec
from .models import TextEmbedding

logger = logging.getLogger(__name__)


def embed_texts(workspace_id: int, model_name: str, text_ids: list[int]) -> int:
    """Embed the given texts that lack a vector for this model. Idempotent; returns how many were new."""
    missing = list(
        CustomerText.objects.filter(pk__in=text_ids, workspace_id=workspace_id)
        .exclude(embeddings__model=model_name)
        .values_list("pk", "text")
    )
    if not missing:
        return 0
    vectors = get_backend(model_name).encode([text for _, text in missing])
    TextEmbedding.objects.bulk_create(
        [TextEmbedding(text_id=pk, workspace_id=workspace_id, model=model_name, embedding=vector)
         for (pk, _), vector in zip(missing, vectors, strict=False)],
        ignore_conflicts=True,
    )
    return len(missing)


def reembed_texts(workspace_id: int, text_ids: list[int]) -> int:
    """Replace the vectors of texts whose words changed (a moderator's edit), in one transaction so that
    search never sees them without a vector. Vectors of other models are dropped: they are stale too."""
    model_name = Workspace.objects.values_list("embedding_model", flat=True).get(pk=workspace_id)
    with transaction.atomic():
        TextEmbedding.objects.filter(workspace_id=workspace_id, text_id__in=text_ids).delete()
        return embed_texts(workspace_id, model_name, text_ids)


def queue_batches(workspace_id: int, model_name: str, text_ids: list[int], job_id: str | None) -> int:
    """One task per batch of texts, never one per text."""
    from .tasks import embed_batch

    size = settings.MURMUR_EMBED_BATCH_SIZE
    batches = [text_ids[i:i + size] for i in range(0, len(text_ids), size)]
    for batch in batches:
        embed_batch.delay(workspace_id, model_name, batch, job_id=job_id)
    return len(batches)


def _unembedded_ids(scope, model_name: str) -> list[int]:
    return list(scope.exclude(embeddings__model=model_name).order_by("pk").values_list("pk", flat=True))


def embed_import(workspace_id: int, text_import_id: int, job_id: str) -> None:
    """Called when an import's texts became live: queue their embedding, or finish the job at once."""
    model_name = Workspace.objects.values_list("embedding_model", flat=True).get(pk=workspace_id)
    # Added to the import job's own params (file name, skipped rows: the import history shows them), not replacing.
    params = Job.objects.filter(pk=job_id).values_list("params", flat=True).first() or {}
    Job.objects.filter(pk=job_id).update(params={**params, "text_import_id": text_import_id, "model": model_name})
    ids = _unembedded_ids(CustomerText.objects.filter(text_import_id=text_import_id), model_name)
    if not ids:
        refresh_job(job_id)
        return
    existing = TextEmbedding.objects.filter(model=model_name).count()
    if len(ids) >= indexes.BULK_LOAD_MIN_ROWS and len(ids) >= existing:
        # Load first, index after: the import outweighs what is indexed already. refresh_job rebuilds.
        indexes.drop_for_bulk_load(model_name)
    queue_batches(workspace_id, model_name, ids, job_id)


def start_reembedding(ctx: WorkspaceContext, model_name: str) -> Job:
    """Switch the workspace to another model: vectors are computed in the background, and searches keep
    using the old model until every text has a vector from the new one."""
    ctx.require(MANAGE)
    spec(model_name)  # validates the name
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "reembed", user=ctx.user, params={"model": model_name})
        ids = _unembedded_ids(CustomerText.objects.filter(workspace=ctx.workspace, is_live=True), model_name)
        job.total = CustomerText.objects.filter(workspace=ctx.workspace, is_live=True).count()
        job.save(update_fields=["total"])
        workspace_id, job_id = ctx.workspace.pk, str(job.pk)
        jobs.publish_on_commit(job_id, lambda: _queue_or_finish(workspace_id, model_name, ids, job_id))
    return job


def reembed_retry_refusal(job: Job) -> str | None:
    if Job.objects.filter(workspace_id=job.workspace_id, kind="reembed", created_at__gt=job.created_at).exists():
        return "The embedding model was changed again since: choose the model in the settings instead."
    return None


def resend_reembedding(job: Job) -> None:
    """Queue the texts still without a vector from the job's model (batches stored before the failure stay)."""
    model_name, workspace_id, job_id = job.params["model"], job.workspace_id, str(job.pk)
    ids = _unembedded_ids(CustomerText.objects.filter(workspace_id=workspace_id, is_live=True), model_name)
    jobs.publish_on_commit(job_id, lambda: _queue_or_finish(workspace_id, model_name, ids, job_id))


def _queue_or_finish(workspace_id: int, model_name: str, ids: list[int], job_id: str) -> None:
    if ids:
        queue_batches(workspace_id, model_name, ids, job_id)
    else:
        refresh_job(job_id)


def refresh_job(job_id: str) -> None:
    """Recompute a waiting job's progress from the database (so a retried batch never double counts) and
    finish it when every text in its scope has a vector."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    model_name = job.params["model"]
    if job.kind == "import":
        text_import = TextImport.objects.get(pk=job.params["text_import_id"])
        scope = CustomerText.objects.filter(text_import=text_import)
        offset = text_import.rows_total
    else:
        scope = CustomerText.objects.filter(workspace_id=job.workspace_id, is_live=True)
        offset = 0
    total = scope.count()
    embedded = scope.filter(embeddings__model=model_name).count()
    jobs.set_progress(job.pk, offset + embedded, total=offset + total,
                      message=f"Embedded {embedded} of {total} texts.")
    if embedded < total:
        return
    indexes.ensure(model_name)  # after a bulk load: build the index once, before the job reports done
    if job.kind == "import":
        ids = list(scope.order_by("pk").values_list("pk", flat=True)[:1000])
        result = {"text_import_id": text_import.pk, "imported": text_import.rows_new,
                  "duplicates": text_import.rows_duplicate, "text_ids": ids}
        jobs.succeed(job.pk, result, message=f"Imported {text_import.rows_new} new texts "
                                             f"({text_import.rows_duplicate} already present).")
    else:
        Workspace.objects.filter(pk=job.workspace_id).update(embedding_model=model_name)
        jobs.succeed(job.pk, {"model": model_name, "embedded": embedded},
                     message=f"All {embedded} texts embedded with {model_name}.")
