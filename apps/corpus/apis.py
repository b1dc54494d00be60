from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Form, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.files import UploadedFile

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import VIEW_ORIGINALS

from . import selectors, services
from .importers import MAX_ROW_ERRORS, ImportValidationError
from .models import CustomerText, ModerationStatus
from .signals import originals_viewed

router = Router(tags=["texts"])


class SkippedRowOut(Schema):
    row: int
    error: str


class ImportAccepted(Schema):
    job_id: UUID
    import_id: int
    rows: int = Field(description="The valid rows the import stores (all of them, or none if it fails)")
    skipped: int = Field(0, description="Rows left out because of a problem (with skip_invalid_rows)")
    skipped_rows: list[SkippedRowOut] = Field([], description=f"The first {MAX_ROW_ERRORS} of them; "
                                              "POST the file to /imports/skipped-rows for all, as CSV")


class ImportError400(Schema):
    error: str
    details: list[dict[str, Any]]
    valid_rows: int = Field(0, description="When rows have problems: how many rows skip_invalid_rows would import")
    invalid_rows: int = Field(0, description="When rows have problems: how many it would skip")


class TextFilterParams(Schema):
    date_from: date | None = None
    date_to: date | None = None
    rating: int | None = None
    source: str | None = None
    language: str | None = None
    product: str | None = None

    def to_filters(self) -> selectors.TextFilters:
        return selectors.TextFilters(**self.dict())


class TextListParams(TextFilterParams):
    """The filters of `GET /api/v1/texts`: those above, moderation, and what analysis found."""

    moderation: str | None = Field(None, description="A moderation status: " + ", ".join(ModerationStatus.values))
    include_hidden: bool = Field(True, description="Hidden and rejected texts too. Viewers never get them.")
    # Filters on what higher layers know (insights' analysis), applied by the TEXT_FILTERS hooks below.
    sentiment: str | None = Field(None, description="positive, neutral, negative or mixed")
    intent: str | None = Field(None, description="complaint, praise, feature_request, question or other")
    theme: int | None = Field(None, description="A theme id (its sub-themes' texts count)")
    week: str | None = Field(None, description='An ISO week such as "2026-W40"')

    def list_filters(self, ctx: WorkspaceContext) -> selectors.TextFilters:
        if self.moderation and self.moderation not in ModerationStatus.values:
            raise HttpError(400, f"moderation must be one of {', '.join(ModerationStatus.values)}.")
        corpus_fields = {name: getattr(self, name) for name in TextFilterParams.model_fields}
        return selectors.TextFilters(**corpus_fields, moderation=self.moderation,
                                     include_hidden=self.include_hidden and selectors.sees_hidden(ctx))

    def hook_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ("sentiment", "intent", "theme", "week")}


# Higher layers (insights) register filters on their own fields the same way: each takes (texts queryset, the
# parameters above) and returns the queryset narrowed; a parameter that names nothing raises InvalidRequest.
TEXT_FILTERS: list[Callable[[QuerySet[CustomerText], dict[str, Any]], QuerySet[CustomerText]]] = []


def narrow_by_hooks(params: dict[str, Any]) -> Callable[[QuerySet[CustomerText]], QuerySet[CustomerText]] | None:
    if not any(value not in (None, "") for value in params.values()):
        return None

    def narrow(qs: QuerySet[CustomerText]) -> QuerySet[CustomerText]:
        for hook in TEXT_FILTERS:
            qs = hook(qs, params)
        return qs

    return narrow


# Higher layers (insights) register functions that add their fields to texts in the API without corpus
# importing them: each takes (workspace, text ids) and returns {text id: {field: value}}.
TEXT_ENRICHERS: list[Callable[[Any, list[int]], dict[int, dict[str, Any]]]] = []


class TextOut(Schema):
    id: int
    text: str
    original_text: str | None = None
    author: str | None = None
    rating: int | None
    posted_at: datetime | None
    source: str
    product: str
    language: str
    moderation: str
    created_at: datetime
    sentiment: dict[str, Any] | None = None
    intent: str | None = None
    themes: list[dict[str, Any]] = []


class TextPage(Schema):
    count: int
    results: list[TextOut]


def texts_out(ctx: WorkspaceContext, texts: list[CustomerText]) -> list[dict[str, Any]]:
    rows = [text_out(ctx, t) for t in texts]
    if texts and ctx.can(VIEW_ORIGINALS):  # one audit entry per response, not per text
        originals_viewed.send(sender=CustomerText, workspace_id=ctx.workspace.pk, user=ctx.user,
                              text_ids=[t.pk for t in texts], channel="api")
    for enrich in TEXT_ENRICHERS:
        extra = enrich(ctx.workspace, [t.pk for t in texts])
        for row in rows:
            row.update(extra.get(row["id"], {}))
    return rows


def text_out(ctx: WorkspaceContext, text: CustomerText) -> dict[str, Any]:
    """A text as the API shows it. Originals and author names are personal data: owners only."""
    data: dict[str, Any] = {
        "id": text.pk, "text": text.text, "rating": text.rating, "posted_at": text.posted_at,
        "source": text.source, "product": text.product, "language": text.language,
        "moderation": text.moderation_status, "created_at": text.created_at,
    }
    if ctx.can(VIEW_ORIGINALS):
        data["original_text"] = text.original_text
        data["author"] = text.author
    return data


# Room for the multipart boundaries and the mapping field around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def refuse_oversized_body(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Refuse a request whose declared length exceeds the upload limit before its body is read or parsed (the
    server reads at most Content-Length bytes, so the declaration bounds the work)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        try:
            services.check_upload_size(max(declared - MULTIPART_OVERHEAD_BYTES, 0))
        except ImportValidationError as exc:
            return JsonResponse({"error": exc.message, "details": exc.details}, status=400)
        return view(request, *args, **kwargs)

    return wrapper


def _upload(request: HttpRequest, file: UploadedFile, mapping: str, skip_invalid_rows: bool = False
            ) -> services.Upload:
    """The upload of a multipart request; ImportValidationError for what can be refused before reading the file."""
    # Role and size first: Django spooled a large body to disk, and only the read below brings it into memory.
    services.check_upload(request.auth, file.size or 0, file.name or "")
    try:
        mapping_dict = json.loads(mapping) if mapping else {}
        if not isinstance(mapping_dict, dict):
            raise ValueError
    except (ValueError, RecursionError) as exc:  # RecursionError: deeply nested JSON
        raise ImportValidationError('mapping must be a JSON object such as {"text": "review"}.') from exc
    return services.Upload(filename=file.name or "upload", data=file.read(), mapping=mapping_dict,
                           skip_invalid_rows=skip_invalid_rows)


@router.post("/imports", response={202: ImportAccepted, 400: ImportError400})
@decorate_view(refuse_oversized_body)
def create_import(request: HttpRequest, file: File[UploadedFile], mapping: Form[str] = "",
                  skip_invalid_rows: Form[bool] = False):
    """Import a file. By default a row with a problem refuses the whole file (the 400 counts `valid_rows` and
    `invalid_rows`); with `skip_invalid_rows=true` the valid rows are imported and the others skipped."""
    # An ImportValidationError is answered by the API's error handler: 400 with its details and row counts.
    started = services.begin_import(request.auth, _upload(request, file, mapping, skip_invalid_rows))
    text_import = started.text_import
    return 202, {"job_id": text_import.job_id, "import_id": text_import.pk, "rows": text_import.rows_total,
                 "skipped": len(started.skipped),
                 "skipped_rows": [{"row": r.number, "error": r.problem} for r in started.skipped[:MAX_ROW_ERRORS]]}


@router.post("/imports/skipped-rows", response={200: None, 400: ImportError400})
@decorate_view(refuse_oversized_body)
def skipped_rows_report(request: HttpRequest, file: File[UploadedFile], mapping: Form[str] = ""):
    """The rows `skip_invalid_rows=true` skips in this file, as CSV (row, problem, the file's cells). Stores
    nothing: the skipped rows hold customers' words, so the report is made from the file you send."""
    upload = _upload(request, file, mapping)
    report = services.skipped_rows_report(request.auth, upload)
    response = HttpResponse(report.encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=services.skipped_rows_report_name(upload.filename))
    return response


@router.get("/texts", response=TextPage)
def list_texts(request: HttpRequest, filters: Query[TextListParams], limit: int = 50, offset: int = 0):
    if not 1 <= limit <= 500 or offset < 0:
        raise HttpError(400, "limit must be 1..500 and offset >= 0.")
    count, texts = selectors.list_texts(request.auth.workspace, filters.list_filters(request.auth), limit=limit,
                                        offset=offset, narrow=narrow_by_hooks(filters.hook_params()))
    return {"count": count, "results": texts_out(request.auth, texts)}


@router.get("/texts/{text_id}", response=TextOut)
def text_detail(request: HttpRequest, text_id: int):
    text = selectors.get_text(request.auth.workspace, text_id)
    if text is None:
        raise HttpError(404, "No such text in this workspace.")
    return texts_out(request.auth, [text])[0]


# --- import history (issue #16): the workspace's imports, and "undo this import" ------------------------


class ImportOut(Schema):
    id: int
    job_id: UUID
    filename: str
    created_at: datetime
    uploaded_by: str | None = Field(description="The uploader's username (null once the user is deleted)")
    status: str = Field(description="queued, running, imported, failed or undone")
    rows: int = Field(description="Valid rows in the file")
    imported: int = Field(description="New texts the import created")
    duplicates: int = Field(description="Rows already in the workspace: they stay with the earlier import")
    skipped: int = Field(description="Rows left out for a problem (skip_invalid_rows)")
    undone_at: datetime | None = None
    texts_removed: int = Field(0, description="Texts the undo removed, with everything derived from them")
    can_undo: bool = Field(description="Whether you may undo it now")


class ImportPage(Schema):
    count: int
    results: list[ImportOut]


def import_out(summary: selectors.ImportSummary) -> dict[str, Any]:
    text_import = summary.text_import
    return {"id": text_import.pk, "job_id": text_import.job_id, "filename": text_import.filename,
            "created_at": text_import.created_at, "uploaded_by": summary.uploaded_by, "status": summary.status,
            "rows": summary.rows, "imported": summary.imported, "duplicates": summary.duplicates,
            "skipped": summary.skipped, "undone_at": text_import.undone_at,
            "texts_removed": text_import.texts_removed, "can_undo": summary.can_undo}


@router.get("/imports", response=ImportPage)
def list_imports(request: HttpRequest, limit: int = 50, offset: int = 0):
    """The workspace's imports, newest first: file name, date, who uploaded it and what became of its rows."""
    if not 1 <= limit <= 500 or offset < 0:
        raise HttpError(400, "limit must be 1..500 and offset >= 0.")
    count, imports = selectors.import_history(request.auth, limit=limit, offset=offset)
    return {"count": count, "results": [import_out(s) for s in imports]}


@router.post("/imports/{import_id}/undo", response=ImportOut)
def undo_import(request: HttpRequest, import_id: int):
    """Remove the texts this import created and everything derived from them (as erasure does); texts it found
    already imported stay with the earlier import. Owners and analysts; 409 while the import is still running."""
    services.undo_import(request.auth, import_id)
    return import_out(selectors.get_import(request.auth, import_id))
