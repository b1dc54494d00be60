"""Writes of customer texts: imports (validate, store, clean, redact) and nothing else.

An import is all or nothing: by default one row with a problem refuses the file; with `skip_invalid_rows` the
valid rows are imported and the others skipped, and `skipped_rows_report` writes those as CSV from the same file
(the rows hold customers' words, so nothing of them is stored: the report is made from the file the user has).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import IMPORT
from apps.core import crypto, errors
from apps.core.csv import csv_safe
from apps.jobs import services as jobs
from apps.jobs.models import Job, JobStatus

from .cleaning import clean_text
from .importers import ImportValidationError, ParsedFile, Row, SkippedRow, parse_file
from .language import detect_language
from .models import CustomerText, ImportStatus, TextImport, content_hash, content_hashes
from .redaction import redact
from .signals import texts_committed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    mapping: dict[str, str]
    skip_invalid_rows: bool = False  # import the valid rows and skip the others (default: refuse the file)


@dataclass(frozen=True)
class StartedImport:
    text_import: TextImport
    skipped: list[SkippedRow]  # the rows left out (with skip_invalid_rows), in file order


def check_upload_size(size: int, filename: str = "") -> None:
    if size > settings.MURMUR_MAX_UPLOAD_BYTES:
        raise ImportValidationError(_named(filename,
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{settings.MURMUR_MAX_UPLOAD_BYTES / 1024 / 1024:.1f} MB."
        ))


def check_upload(ctx: WorkspaceContext, size: int, filename: str = "") -> None:
    """What can be refused before the file is read: the caller's role, then the file's size."""
    ctx.require(IMPORT)
    check_upload_size(size, filename)


def _named(filename: str, message: str) -> str:
    """The message with the file's name in front ("reviews.csv: row 3: …"), so a person who uploads several files
    knows which one it is about."""
    name = PurePath(filename).name[:100] if filename else ""
    if not name:
        return message
    if message[:1].isupper() and message[1:2].islower():  # "The file…" → "reviews.csv: the file…", not "XLSX"
        message = message[0].lower() + message[1:]
    return f"{name}: {message}"


def validate_upload(upload: Upload) -> ParsedFile:
    """Every problem is an ImportValidationError whose message names the file."""
    check_upload_size(len(upload.data), upload.filename)
    try:
        return parse_file(upload.filename, upload.data, upload.mapping, max_rows=settings.MURMUR_MAX_IMPORT_ROWS,
                          max_text_chars=settings.MURMUR_MAX_TEXT_CHARS, skip_invalid=upload.skip_invalid_rows)
    except ImportValidationError as exc:  # the same problem, its message naming the file
        raise ImportValidationError(_named(upload.filename, exc.message), exc.details, valid_rows=exc.valid_rows,
                                    invalid_rows=exc.invalid_rows) from exc


def start_import(ctx: WorkspaceContext, upload: Upload) -> TextImport:
    """Validate now (the user gets a 400 with row details), store the file, queue the work on commit."""
    return begin_import(ctx, upload).text_import


def begin_import(ctx: WorkspaceContext, upload: Upload) -> StartedImport:
    """`start_import`, also saying which rows were skipped. `rows_total` is the number of valid rows: the worker
    stores exactly those, or nothing (`process_import`)."""
    ctx.require(IMPORT)
    parsed = validate_upload(upload)
    rows = len(parsed.rows)
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "import", total=2 * rows, user=ctx.user,
                              params={"filename": upload.filename[:255], "skipped_rows": len(parsed.skipped)})
        text_import = TextImport.objects.create(
            workspace=ctx.workspace, job=job, filename=upload.filename[:255], file_format=parsed.file_format,
            file_sha256=crypto.workspace_digest(ctx.workspace.pk, crypto.FILE, upload.data), mapping=parsed.mapping,
            payload=upload.data,
            rows_total=rows, created_by=ctx.user if ctx.user.pk else None,
        )
        job.params["text_import_id"] = text_import.pk
        job.save(update_fields=["params"])
        _publish(text_import)
    return StartedImport(text_import, parsed.skipped)


REPORT_COLUMNS = ("row", "problem")


def skipped_rows_report(ctx: WorkspaceContext, upload: Upload) -> str:
    """The rows of `upload` an import with `skip_invalid_rows` leaves out, as CSV: row number, problem, then the
    file's own columns, every cell escaped for spreadsheets (`csv_safe`). Writes nothing; a file with no such
    row gets the header alone, a file that cannot be imported at all its ImportValidationError."""
    ctx.require(IMPORT)
    parsed = validate_upload(Upload(upload.filename, upload.data, upload.mapping, skip_invalid_rows=True))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe(c) for c in (*REPORT_COLUMNS, *parsed.columns)])
    for row in parsed.skipped:
        writer.writerow([row.number, csv_safe(row.problem), *(csv_safe(cell) for cell in row.cells)])
    return out.getvalue()


def skipped_rows_report_name(filename: str) -> str:
    stem = PurePath(filename).stem[:100] or "upload"
    return f"{stem}-skipped-rows.csv"


def _publish(text_import: TextImport) -> None:
    """Queue `run_import`. When the broker is unreachable only the job fails: the import stays pending with its
    file, which is what a retry reads."""
    from .tasks import run_import  # tasks import this module

    jobs.publish_on_commit(text_import.job_id,
                           lambda: run_import.delay(text_import.pk, job_id=str(text_import.job_id)))


def import_retry_refusal(job: Job) -> str | None:
    row = TextImport.objects.filter(job=job).values_list("status", "undone_at").first()
    if row is None or row[0] == ImportStatus.FAILED:
        return "This import failed and its file was discarded (it holds customers' originals): upload it again."
    if row[1] is not None:
        return "This import was undone and its texts removed: upload the file again to import them."
    return None


def resend_import(job: Job) -> None:
    """Run a pending import again (its task never ran), or a committed one whose embedding failed: process_import
    then only announces the texts again, and the receivers embed and screen what is missing."""
    _publish(TextImport.objects.defer("payload").get(job=job))


def build_text(text_import: TextImport, row: Row) -> CustomerText | None:
    original = clean_text(row.text)
    if not original:
        return None
    redacted = redact(original, author=row.author)
    return CustomerText(
        workspace_id=text_import.workspace_id, text_import=text_import, text=redacted.text,
        original_text=original, rating=row.rating,
        content_hash=content_hash(text_import.workspace_id, original, row.author, row.posted_at, row.source),
        posted_at=row.posted_at, source=row.source, author=row.author, product=row.product,
        language=row.language or detect_language(original), redactions=redacted.counts, is_live=False,
    )


def _not_stored_under_older_keys(workspace_id: int, texts: list[CustomerText]) -> list[CustomerText]:
    """The texts whose hash under an older key (after a rotation, before `rotate_encryption_key` has reached
    every row) is not in the workspace: the unique constraint only sees the current key's hash."""
    if len(crypto.configured_keys()) < 2 or not texts:
        return texts
    older = [content_hashes(workspace_id, t.original_text, t.author, t.posted_at, t.source)[1:] for t in texts]
    stored = set(CustomerText.objects.filter(
        workspace_id=workspace_id, content_hash__in=[h for hashes in older for h in hashes],
    ).values_list("content_hash", flat=True))
    return [t for t, hashes in zip(texts, older, strict=True) if stored.isdisjoint(hashes)]


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
            # Rows with problems are skipped here in any case: an upload that did not ask to skip them was refused
            # in the request if it had any, and the count check below refuses a file that reads differently now.
            parsed = parse_file(text_import.filename, bytes(text_import.payload), text_import.mapping,
                                max_rows=settings.MURMUR_MAX_IMPORT_ROWS,
                                max_text_chars=settings.MURMUR_MAX_TEXT_CHARS, skip_invalid=True)
        except ImportValidationError as exc:
            fail_import(text_import_id, _named(text_import.filename, exc.message))
            return
        if len(parsed.rows) != text_import.rows_total:
            fail_import(text_import_id, _named(
                text_import.filename, f"the file now reads as {len(parsed.rows)} valid rows, not the "
                f"{text_import.rows_total} it was accepted with; nothing was imported. Upload it again."))
            return
        stored = 0
        for batch in _batches(parsed.rows, settings.MURMUR_IMPORT_BATCH_SIZE):
            texts = [t for t in (build_text(text_import, row) for row in batch) if t is not None]
            texts = _not_stored_under_older_keys(text_import.workspace_id, texts)
            CustomerText.objects.bulk_create(texts, ignore_conflicts=True)
            stored += len(batch)
            jobs.set_progress(job_id, stored, message=f"Stored {stored} of {len(parsed.rows)} rows.")
        _commit_import(text_import)
    text_import.refresh_from_db()
    if text_import.rows_new == 0:
        _finish_without_new_texts(text_import)
        return
    # Also on a re-run after the commit: receivers are idempotent, so nothing is done twice.
    transaction.on_commit(lambda: texts_committed.send(
        sender=TextImport, workspace_id=text_import.workspace_id, text_import_id=text_import.pk, job_id=job_id,
    ))


def _finish_without_new_texts(text_import: TextImport) -> None:
    """Every row was already in the workspace: nothing to embed, classify or moderate, so `texts_committed` is not
    sent (no "0 texts moderated" job) and the import's job ends here."""
    total = text_import.rows_total
    jobs.succeed(text_import.job_id, {"text_import_id": text_import.pk, "imported": 0, "duplicates": total,
                                      "text_ids": []},
                 message=f"Nothing new: all {total} texts were already imported." if total != 1
                 else "Nothing new: the text was already imported.")


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


# --- undoing an import ------------------------------------------------------------------------------------


class ImportNotFound(errors.NotFound):
    """No such import in this workspace (404)."""


class ImportConflict(errors.Conflict):
    """The import cannot be undone now: still running, or already undone (409)."""


# Erasing texts and everything derived from them (embeddings, analyses, moderation cases and decisions, reply
# drafts and translations, their ids in reports and copy) is privacy's erasure, which reaches apps above corpus:
# privacy registers it at start-up (`register_text_eraser`), so corpus never imports it and there is one deletion
# path. It is called as eraser(ctx, text_import_id, text_ids) inside the undo's transaction, writes the audit entry
# and returns the counts of what went.
TextEraser = Callable[[WorkspaceContext, int, list[int]], dict[str, int]]
_text_erasers: list[TextEraser] = []


def register_text_eraser(eraser: TextEraser) -> None:
    _text_erasers[:] = [eraser]


@dataclass(frozen=True)
class UndoneImport:
    text_import: TextImport
    counts: dict[str, int]  # what the erasure removed: texts, embeddings, analyses, moderation cases, …


def undo_import(ctx: WorkspaceContext, text_import_id: int) -> UndoneImport:
    """"Undo this import": erase the texts this import created, with everything derived from them, and mark it
    undone. Texts the import found already present (its duplicates) belong to the earlier import and stay."""
    ctx.require(IMPORT)
    if not _text_erasers:
        raise RuntimeError("No text eraser is registered (apps.privacy registers it at start-up).")
    with transaction.atomic():
        text_import = (TextImport.objects.select_for_update().defer("payload")
                       .filter(workspace=ctx.workspace, pk=text_import_id).first())
        if text_import is None:
            raise ImportNotFound("No such import in this workspace.")
        if text_import.undone_at is not None:
            raise ImportConflict(f"{text_import.filename} was already undone on "
                                 f"{timezone.localtime(text_import.undone_at):%Y-%m-%d %H:%M}.")
        if import_in_progress(text_import):
            raise ImportConflict(f"{text_import.filename} is still being imported (stored, embedded or moderated): "
                                 "undo it once its job has finished.")
        if text_import.status != ImportStatus.COMMITTED:
            raise errors.InvalidRequest(f"{text_import.filename} did not import any texts: there is nothing to undo.")
        ids = list(CustomerText.objects.filter(workspace=ctx.workspace, text_import=text_import)
                   .order_by("pk").values_list("pk", flat=True))
        counts = _text_erasers[0](ctx, text_import.pk, ids) if ids else {"texts": 0}
        text_import.undone_at, text_import.undone_by = timezone.now(), ctx.user if ctx.user.pk else None
        text_import.texts_removed = counts.get("texts", 0)
        text_import.save(update_fields=["undone_at", "undone_by", "texts_removed"])
    logger.info("import %s undone in workspace %s: %s", text_import.pk, ctx.workspace.pk, counts)
    return UndoneImport(text_import, counts)


def import_in_progress(text_import: TextImport) -> bool:
    """Whether the import, or a job working on its texts (embedding, moderation screening), is queued or running.
    A pending import whose job failed (the broker was down) waits for a retry: it is not running."""
    jobs_of_import = Job.objects.filter(workspace_id=text_import.workspace_id,
                                        params__text_import_id=text_import.pk)
    if text_import.status == ImportStatus.PENDING and not jobs_of_import.filter(
            pk=text_import.job_id, status=JobStatus.FAILED).exists():
        return True
    return jobs_of_import.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).exists()
