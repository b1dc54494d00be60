"""Writes of customer texts: imports (validate, store, clean, redact) and nothing else."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import IMPORT
from apps.jobs import services as jobs
from apps.jobs.models import Job

from .cleaning import clean_text
from .importers import ImportValidationError, ParsedFile, Row, parse_file
from .language import detect_language
from .models import CustomerText, ImportStatus, TextImport
from .redaction import redact
from .signals import texts_committed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    mapping: dict[str, str]


def check_upload_size(size: int) -> None:
    if size > settings.MURMUR_MAX_UPLOAD_BYTES:
        raise ImportValidationError(
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{settings.MURMUR_MAX_UPLOAD_BYTES / 1024 / 1024:.1f} MB."
        )


def check_upload(ctx: WorkspaceContext, size: int) -> None:
    """What can be refused before the file is read: the caller's role, then the file's size."""
    ctx.require(IMPORT)
    check_upload_size(size)


def validate_upload(upload: Upload) -> ParsedFile:
    check_upload_size(len(upload.data))
    return parse_file(upload.filename, upload.data, upload.mapping,
                      max_rows=settings.MURMUR_MAX_IMPORT_ROWS, max_text_chars=settings.MURMUR_MAX_TEXT_CHARS)


def start_import(ctx: WorkspaceContext, upload: Upload) -> TextImport:
    """Validate now (the user gets a 400 with row details), store the file, queue the work on commit."""
    ctx.require(IMPORT)
    parsed = validate_upload(upload)
    rows = len(parsed.rows)
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "import", total=2 * rows, user=ctx.user,
                              params={"filename": upload.filename[:255]})
        text_import = TextImport.objects.create(
            workspace=ctx.workspace, job=job, filename=upload.filename[:255], file_format=parsed.file_format,
            file_sha256=hashlib.sha256(upload.data).hexdigest(), mapping=parsed.mapping, payload=upload.data,
            rows_total=rows, created_by=ctx.user if ctx.user.pk else None,
        )
        job.params["text_import_id"] = text_import.pk
        job.save(update_fields=["params"])
        _publish(text_import)
    return text_import


def _publish(text_import: TextImport) -> None:
    """Queue `run_import`. When the broker is unreachable only the job fails: the import stays pending with its
    file, which is what a retry reads."""
    from .tasks import run_import  # tasks import this module

    jobs.publish_on_commit(text_import.job_id,
                           lambda: run_import.delay(text_import.pk, job_id=str(text_import.job_id)))


def import_retry_refusal(job: Job) -> str | None:
    status = TextImport.objects.filter(job=job).values_list("status", flat=True).first()
    if status is None or status == ImportStatus.FAILED:
        return "This import failed and its file was discarded (it holds customers' originals): upload it again."
    return None


def resend_import(job: Job) -> None:
    """Run a pending import again (its task never ran), or a committed one whose embedding failed: process_import
    then only announces the texts again, and the receivers embed and screen what is missing."""
    _publish(TextImport.objects.defer("payload").get(job=job))


def content_hash(original: str, row: Row) -> str:
    """Identity of a text within a workspace: the same words from the same author at the same time."""
    key = "\x1f".join([original, row.author, row.posted_at.isoformat() if row.posted_at else "", row.source])
    return hashlib.sha256(key.encode()).hexdigest()


def build_text(text_import: TextImport, row: Row) -> CustomerText | None:
    original = clean_text(row.text)
    if not original:
        return None
    redacted = redact(original, author=row.author)
    return CustomerText(
        workspace_id=text_import.workspace_id, text_import=text_import, text=redacted.text,
        original_text=original, content_hash=content_hash(original, row), rating=row.rating,
        posted_at=row.posted_at, source=row.source, author=row.author, product=row.product,
        language=row.language or detect_language(original), redactions=redacted.counts, is_live=False,
    )


def _batches(rows: list[Row], size: int) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def process_import(text_import_id: int) -> None:
    """Store an import's rows. Safe to run again after a crash at any point: rows are keyed by content
    hash, and they become visible together, in one UPDATE, only when every row is stored."""
    text_import = TextImport.objects.select_related("job").get(pk=text_import_id)
    job_id = text_import.job_id
    if text_import.status == ImportStatus.FAILED:
        return
    if text_import.status == ImportStatus.PENDING:
        jobs.mark_running(job_id, message="Reading the file.")
        try:
            parsed = parse_file(text_import.filename, bytes(text_import.payload), text_import.mapping,
                                max_rows=settings.MURMUR_MAX_IMPORT_ROWS,
                                max_text_chars=settings.MURMUR_MAX_TEXT_CHARS)
        except ImportValidationError as exc:
            fail_import(text_import_id, exc.message)
            return
        stored = 0
        for batch in _batches(parsed.rows, settings.MURMUR_IMPORT_BATCH_SIZE):
            texts = [t for t in (build_text(text_import, row) for row in batch) if t is not None]
            CustomerText.objects.bulk_create(texts, ignore_conflicts=True)
            stored += len(batch)
            jobs.set_progress(job_id, stored, message=f"Stored {stored} of {len(parsed.rows)} rows.")
        _commit_import(text_import)
    text_import.refresh_from_db()
    # Also on a re-run after the commit: receivers are idempotent, so nothing is done twice.
    transaction.on_commit(lambda: texts_committed.send(
        sender=TextImport, workspace_id=text_import.workspace_id, text_import_id=text_import.pk, job_id=job_id,
    ))


@transaction.atomic
def _commit_import(text_import: TextImport) -> None:
    locked = TextImport.objects.select_for_update().get(pk=text_import.pk)
    if locked.status != ImportStatus.PENDING:
        return
    CustomerText.objects.filter(text_import=locked, is_live=False).update(is_live=True)
    locked.rows_new = CustomerText.objects.filter(text_import=locked).count()
    locked.rows_duplicate = locked.rows_total - locked.rows_new
    locked.status = ImportStatus.COMMITTED
    locked.payload = b""  # the uploaded file holds every original: only a retry before this point needs it
    locked.save(update_fields=["rows_new", "rows_duplicate", "status", "payload"])
    jobs.set_progress(locked.job_id, locked.rows_total, total=locked.rows_total + locked.rows_new,
                      message=f"{locked.rows_new} new texts, {locked.rows_duplicate} already present. Embedding.")


def fail_import(text_import_id: int, error: str) -> None:
    """Remove every row the import wrote (none of them became live) and fail its job."""
    with transaction.atomic():
        text_import = TextImport.objects.select_for_update().get(pk=text_import_id)
        if text_import.status == ImportStatus.COMMITTED:
            return
        CustomerText.objects.filter(text_import=text_import, is_live=False).delete()
        text_import.status = ImportStatus.FAILED
        text_import.payload = b""  # never read again (a failed import is uploaded anew): don't keep the originals
        text_import.save(update_fields=["status", "payload"])
    jobs.fail(text_import.job_id, error)
