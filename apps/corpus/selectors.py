"""Reads of customer texts. Every function takes the workspace: nothing reads across workspaces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import QuerySet

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import ANALYZE, IMPORT, MODERATE
from apps.jobs.models import Job, JobStatus

from .models import CustomerText, ImportStatus, ModerationStatus, TextImport


@dataclass(frozen=True)
class TextFilters:
    date_from: date | None = None
    date_to: date | None = None
    rating: int | None = None
    source: str | None = None
    language: str | None = None
    product: str | None = None
    moderation: str | None = None  # one ModerationStatus
    include_hidden: bool = True  # False: hidden and rejected texts are left out (lists for viewers, by default)

    def apply(self, qs: QuerySet[CustomerText], prefix: str = "") -> QuerySet[CustomerText]:
        conditions = {}
        if self.date_from:
            conditions["posted_at__gte"] = datetime.combine(self.date_from, time.min, tzinfo=UTC)
        if self.date_to:
            conditions["posted_at__lte"] = datetime.combine(self.date_to, time.max, tzinfo=UTC)
        if self.rating is not None:
            conditions["rating"] = self.rating
        if self.source:
            conditions["source"] = self.source
        if self.language:
            conditions["language"] = self.language
        if self.product:
            conditions["product"] = self.product
        if self.moderation:
            conditions["moderation_status"] = self.moderation
        qs = qs.filter(**{prefix + key: value for key, value in conditions.items()})
        if not self.include_hidden:
            qs = qs.exclude(**{prefix + "moderation_status__in": HIDDEN_STATUSES})
        return qs


# Texts moderation took out of sight: lists leave them out unless asked ("include hidden"), and never show them
# to viewers.
HIDDEN_STATUSES = (ModerationStatus.HIDDEN, ModerationStatus.REJECTED)


def sees_hidden(ctx: WorkspaceContext) -> bool:
    """Whether a role may list hidden and rejected texts: those who moderate or analyse them, never viewers."""
    return ctx.can(MODERATE) or ctx.can(ANALYZE)


def live_texts(workspace: Workspace) -> QuerySet[CustomerText]:
    return CustomerText.objects.filter(workspace=workspace, is_live=True)


# Texts moderation has not cleared stay out of analysis and copy grounding until a moderator approves them.
NOT_ANALYSABLE = (ModerationStatus.PENDING, ModerationStatus.HIDDEN, ModerationStatus.REJECTED)


def analysable_texts(workspace: Workspace, include_unreviewed: bool = False) -> QuerySet[CustomerText]:
    """Live texts that insights and copy may use. `include_unreviewed` (a workspace policy) also lets
    pending texts in; hidden and rejected ones never are."""
    excluded = (ModerationStatus.HIDDEN, ModerationStatus.REJECTED) if include_unreviewed else NOT_ANALYSABLE
    return live_texts(workspace).exclude(moderation_status__in=excluded)


def list_texts(
    workspace: Workspace, filters: TextFilters, *, limit: int, offset: int,
    narrow: Callable[[QuerySet[CustomerText]], QuerySet[CustomerText]] | None = None,
) -> tuple[int, list[CustomerText]]:
    """A page of texts, newest first. `narrow` adds filters of higher layers (analysis signals)."""
    qs = filters.apply(live_texts(workspace))
    qs = (narrow(qs) if narrow else qs).order_by("-posted_at", "-id")
    return qs.count(), list(qs[offset:offset + limit])


def get_text(workspace: Workspace, text_id: int) -> CustomerText | None:
    return live_texts(workspace).filter(pk=text_id).first()


def texts_by_ids(workspace: Workspace, ids: list[int]) -> dict[int, CustomerText]:
    return {t.pk: t for t in live_texts(workspace).filter(pk__in=ids)}


def filter_choices(workspace: Workspace) -> dict[str, list[str]]:
    qs = live_texts(workspace)
    return {
        field: sorted(v for v in qs.values_list(field, flat=True).distinct() if v)
        for field in ("source", "language", "product")
    }


def recent_imports(workspace: Workspace, limit: int = 10) -> list[TextImport]:
    return list(TextImport.objects.filter(workspace=workspace).select_related("job").order_by("-created_at")[:limit])


@dataclass(frozen=True)
class ImportSummary:
    """One line of the import history: what was uploaded, when, by whom, what became of its rows."""

    text_import: TextImport
    status: str  # IMPORT_STATES
    uploaded_by: str | None  # the uploader's username; None once the user is deleted
    rows: int  # valid rows in the file
    imported: int  # new texts it created
    duplicates: int  # rows already in the workspace (they belong to the earlier import)
    skipped: int  # rows left out for a problem (skip_invalid_rows)
    can_undo: bool  # for the reader's role, now

    @property
    def id(self) -> int:
        return self.text_import.pk


# What the history says of an import: still at work, done (texts imported), failed (nothing kept), undone.
IMPORT_STATES = ("queued", "running", "imported", "failed", "undone")


def import_history(ctx: WorkspaceContext, *, limit: int, offset: int) -> tuple[int, list[ImportSummary]]:
    """The workspace's imports, newest first, a page at a time, with the total count."""
    qs = (TextImport.objects.filter(workspace=ctx.workspace).defer("payload")
          .select_related("job", "created_by").order_by("-created_at", "-id"))
    page = list(qs[offset:offset + limit])
    busy = _imports_with_jobs_at_work(ctx, [i.pk for i in page])
    return qs.count(), [_summary(ctx, i, i.pk in busy) for i in page]


def get_import(ctx: WorkspaceContext, text_import_id: int) -> ImportSummary | None:
    text_import = (TextImport.objects.filter(workspace=ctx.workspace, pk=text_import_id).defer("payload")
                   .select_related("job", "created_by").first())
    if text_import is None:
        return None
    return _summary(ctx, text_import, text_import.pk in _imports_with_jobs_at_work(ctx, [text_import.pk]))


def _imports_with_jobs_at_work(ctx: WorkspaceContext, ids: list[int]) -> set[int]:
    """Of these imports, those with a queued or running job (the import, its embedding, its moderation)."""
    if not ids:
        return set()
    values = Job.objects.filter(workspace=ctx.workspace, status__in=(JobStatus.QUEUED, JobStatus.RUNNING),
                                params__text_import_id__in=ids).values_list("params__text_import_id", flat=True)
    return {int(v) for v in values if v is not None}


def _summary(ctx: WorkspaceContext, text_import: TextImport, busy: bool) -> ImportSummary:
    job = text_import.job
    if text_import.undone_at is not None:
        status = "undone"
    elif text_import.status == ImportStatus.FAILED:
        status = "failed"
    elif text_import.status == ImportStatus.PENDING:
        status = "failed" if job.status == JobStatus.FAILED else "queued" if job.status == JobStatus.QUEUED \
            else "running"
    else:
        status = "running" if busy else "imported"
    user = text_import.created_by
    return ImportSummary(
        text_import=text_import, status=status, uploaded_by=user.get_username() if user else None,
        rows=text_import.rows_total, imported=text_import.rows_new, duplicates=text_import.rows_duplicate,
        skipped=int((job.params or {}).get("skipped_rows", 0)),
        can_undo=status == "imported" and ctx.can(IMPORT),
    )
