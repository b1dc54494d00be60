"""Writes of privacy: the audit log, the encryption key check and rotation, retention, erasure, exports and
workspace deletion. Views, API handlers, tasks and commands call these and nothing below them."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import MANAGE
from apps.copy.models import CopyRequest, CopyVariant, ProductIdea
from apps.core import crypto, errors
from apps.corpus.models import CustomerText, TextImport
from apps.embeddings.models import TextEmbedding
from apps.insights.clustering import tokens
from apps.insights.models import AnalysisSettings, Insight, TextAnalysis, Theme, ThemeSnapshot
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.llm.models import LLMCacheEntry
from apps.moderation.models import CUSTOMER_TEXT, AuditEntry, ModerationCase

from .models import (
    AuditAction,
    ErasureKind,
    ErasureRequest,
    ErasureStatus,
    KeyCheck,
    PrivacyAuditEntry,
    RetentionPolicy,
    WorkspaceExport,
)

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"
BATCH = 2000
MAX_RETENTION_DAYS = 3650
PREVIEW_VALID_FOR = timedelta(days=1)


class PrivacyError(errors.InvalidRequest):
    """Something the owner asked for cannot be done; the message says what to do instead (400 in the API)."""


class NotFound(errors.NotFound, PrivacyError):
    """No such erasure request or export in this workspace (404 in the API); still a PrivacyError for the pages."""


# --- the audit log ----------------------------------------------------------------------------------------

def record(action: str, *, workspace: Workspace | None = None, user=None,
           detail: dict[str, Any] | None = None) -> PrivacyAuditEntry:
    """Append one entry. `detail` must hold counts, ids and keyed hashes only, never personal data."""
    actor = user if user is not None and getattr(user, "pk", None) else None
    return PrivacyAuditEntry.objects.create(
        workspace=workspace, workspace_name=workspace.name if workspace else "", actor=actor,
        actor_name=actor.get_username() if actor else SYSTEM_ACTOR, action=action, detail=detail or {},
    )


def record_originals_viewed(workspace_id: int, user, text_ids: list[int], channel: str) -> None:
    workspace = Workspace.objects.only("name").get(pk=workspace_id)
    record(AuditAction.VIEW_ORIGINALS, workspace=workspace, user=user,
           detail={"channel": channel, "texts": len(text_ids), "text_ids": text_ids[:500]})


# --- the encryption key -----------------------------------------------------------------------------------

CANARY = "murmur encryption key check v1"
KEY_OK, KEY_CREATED, KEY_MISSING, KEY_OLD = "verified", "created", "missing", "rotation pending"


class KeyMismatch(Exception):
    """The configured keys cannot read this database's data."""


def check_encryption_key(*, create: bool = True) -> str:
    """Decrypt the canary written on the first start. Returns KEY_OK, KEY_CREATED (first start), KEY_MISSING
    (no canary and `create` off) or KEY_OLD (readable, but still under an older key: a rotation is pending);
    raises KeyMismatch when the keys cannot read it. A database error (no table yet) propagates."""
    try:
        row = KeyCheck.objects.order_by("pk").first()
    except crypto.DecryptionError:
        raise KeyMismatch(crypto.WRONG_KEY) from None
    if row is None:
        if not create:
            return KEY_MISSING
        KeyCheck.objects.create(canary=CANARY)
        return KEY_CREATED
    if row.canary != CANARY:
        raise KeyMismatch(crypto.WRONG_KEY)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT canary FROM {connection.ops.quote_name(KeyCheck._meta.db_table)} WHERE id = %s",
                       [row.pk])
        token = cursor.fetchone()[0]
    return KEY_OK if crypto.encrypted_under_current_key(token.encode()) else KEY_OLD


# Every encrypted column, with how many rows to hold in one short transaction (files are big).
ENCRYPTED_COLUMNS: list[tuple[type, list[str], int]] = [
    (CustomerText, ["original_text", "author"], 500),
    (TextImport, ["payload"], 1),
    (WorkspaceExport, ["archive"], 1),
    (KeyCheck, ["canary"], 100),
]


def rotate_encryption_key(progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Re-encrypt every encrypted value under the current (first) key, online: small transactions that lock
    only their own rows, so the app keeps running. Every process must already run with the new key first and
    the old ones after it (they then write with the new key and read both)."""
    counts: dict[str, int] = {}
    for model, fields, batch in ENCRYPTED_COLUMNS:
        label, done, last = model._meta.label, 0, 0
        empty = Q()
        for name in fields:
            empty &= Q(**{name: b"" if name in ("payload", "archive") else ""})
        while True:
            with transaction.atomic():
                rows = list(model.objects.select_for_update().filter(pk__gt=last).exclude(empty)
                            .order_by("pk").only("pk", *fields)[:batch])
                if not rows:
                    break
                update = list(fields)
                if model is CustomerText:
                    for row in rows:  # the index is keyed by the current key too
                        row.author_digest = crypto.blind_index(row.author or "")
                    update.append("author_digest")
                # Saving plaintext through the fields encrypts it under the first key.
                model.objects.bulk_update(rows, update)
            last, done = rows[-1].pk, done + len(rows)
            if progress:
                progress(label, done)
        counts[label] = done
    KeyCheck.objects.update(rotated_at=timezone.now())
    record(AuditAction.KEY_ROTATION, detail={"rows": counts})
    return counts


# --- retention --------------------------------------------------------------------------------------------

def retention_of(workspace: Workspace) -> RetentionPolicy | None:
    return RetentionPolicy.objects.filter(workspace=workspace).first()


def set_retention(ctx: WorkspaceContext, original_days: int | None) -> RetentionPolicy:
    ctx.require(MANAGE)
    if original_days is not None and not 1 <= original_days <= MAX_RETENTION_DAYS:
        raise PrivacyError(f"Keep originals for 1 to {MAX_RETENTION_DAYS} days, or leave the period empty to keep "
                           "them until you erase them.")
    before = retention_of(ctx.workspace)
    policy, _ = RetentionPolicy.objects.update_or_create(
        workspace=ctx.workspace, defaults={"original_days": original_days, "updated_by": ctx.user})
    record(AuditAction.RETENTION_CHANGE, workspace=ctx.workspace, user=ctx.user,
           detail={"original_days": original_days, "before": before.original_days if before else None})
    return policy


def purge_originals(workspace: Workspace, older_than_days: int, now=None) -> dict[str, int]:
    """Drop the originals (text before redaction, author, uploaded files) of texts imported before the cutoff.
    Redacted texts, analyses, embeddings and every aggregate stay."""
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    expired = (CustomerText.objects.filter(workspace=workspace, created_at__lt=cutoff)
               .exclude(original_text="", author=""))
    texts = 0
    while ids := list(expired.values_list("pk", flat=True)[:BATCH]):
        texts += CustomerText.objects.filter(pk__in=ids).update(original_text="", author="", author_digest="")
    files = (TextImport.objects.filter(workspace=workspace, created_at__lt=cutoff).exclude(payload=b"")
             .update(payload=b""))
    return {"texts": texts, "import_files": files}


RETENTION_SCHEDULE = "privacy: apply retention periods"


def ensure_schedules() -> None:
    """(Re)write the beat row of the daily retention job: one row for every workspace (each workspace's
    period is read when it runs). Idempotent; `manage.py setup_schedules`, run by the launcher."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _ = CrontabSchedule.objects.get_or_create(minute="30", hour="2", day_of_week="*", day_of_month="*",
                                                       month_of_year="*", timezone="UTC")
    PeriodicTask.objects.update_or_create(name=RETENTION_SCHEDULE, defaults={
        "crontab": crontab, "interval": None, "task": "apps.privacy.tasks.apply_retention", "queue": "default",
        "enabled": True})


def apply_retention(now=None) -> dict[str, Any]:
    """The scheduled job: every workspace's retention, then expired exports and unconfirmed erasure previews."""
    now = now or timezone.now()
    purged: dict[str, Any] = {}
    for policy in RetentionPolicy.objects.filter(original_days__isnull=False).select_related("workspace"):
        counts = purge_originals(policy.workspace, policy.original_days, now)
        RetentionPolicy.objects.filter(pk=policy.pk).update(last_purged_at=now)
        if any(counts.values()):
            record(AuditAction.RETENTION_PURGE, workspace=policy.workspace,
                   detail={**counts, "original_days": policy.original_days})
            purged[policy.workspace.name] = counts
    expired_exports = WorkspaceExport.objects.filter(
        created_at__lt=now - timedelta(days=settings.MURMUR_EXPORT_TTL_DAYS)).delete()[0]
    stale_previews = ErasureRequest.objects.filter(status=ErasureStatus.PREVIEWED,
                                                   created_at__lt=now - PREVIEW_VALID_FOR).delete()[0]
    logger.info("retention: purged %s; deleted %d expired exports and %d stale erasure previews", purged,
                expired_exports, stale_previews)
    return {"purged": purged, "expired_exports": expired_exports, "stale_previews": stale_previews}


# --- erasure ----------------------------------------------------------------------------------------------

def criterion_hash(kind: str, value: str) -> str:
    """Keyed, so the log proves what was searched for without letting anyone test guesses against it."""
    return crypto.blind_index(f"{kind}:{value}")


def find_matches(workspace: Workspace, kind: str, value: str) -> list[int]:
    """Ids of the workspace's texts about the customer. Authors match exactly through the blind index (SQL);
    emails and words are looked for in the decrypted originals, the redacted texts and the authors, one pass
    over the workspace (an owner's occasional search, bounded by the workspace's size)."""
    texts = CustomerText.objects.filter(workspace=workspace)
    ids: set[int] = set()
    if kind in (ErasureKind.AUTHOR, ErasureKind.EMAIL):
        ids.update(texts.filter(author_digest__in=crypto.blind_indexes(value)).values_list("pk", flat=True))
    if kind in (ErasureKind.EMAIL, ErasureKind.TEXT):
        term = crypto.normalise(value)
        rows = texts.values_list("pk", "text", "original_text", "author").iterator(chunk_size=BATCH)
        for pk, text, original, author in rows:
            if term in crypto.normalise(original) or term in crypto.normalise(text) \
                    or term in crypto.normalise(author):
                ids.add(pk)
    return sorted(ids)


def _validated(kind: str, value: str) -> str:
    value = (value or "").strip()
    if kind not in ErasureKind.values:
        raise PrivacyError(f"Search by one of: {', '.join(ErasureKind.values)}.")
    if len(value) < 3:
        raise PrivacyError("Enter at least 3 characters to search for.")
    if kind == ErasureKind.EMAIL and ("@" not in value or "." not in value.rsplit("@", 1)[-1]):
        raise PrivacyError("That does not look like an email address (name@example.com).")
    return value


def preview_erasure(ctx: WorkspaceContext, kind: str, value: str) -> ErasureRequest:
    """Step one: find what would be erased, for the owner to review. Stores the ids, never the search term."""
    ctx.require(MANAGE)
    value = _validated(kind, value)
    ids = find_matches(ctx.workspace, kind, value)
    limit = settings.MURMUR_ERASURE_MAX_MATCHES
    if len(ids) > limit:
        raise PrivacyError(f"{len(ids):,} texts match, more than the {limit:,} one erasure may remove: search for "
                           "something more specific (a full name or address rather than a common word).")
    digest = criterion_hash(kind, value)
    request = ErasureRequest.objects.create(workspace=ctx.workspace, requested_by=ctx.user, kind=kind,
                                            criterion_hash=digest, text_ids=ids, counts={"matches": len(ids)})
    record(AuditAction.ERASURE_PREVIEW, workspace=ctx.workspace, user=ctx.user,
           detail={"request": request.pk, "kind": kind, "criterion_hash": digest, "matches": len(ids)})
    return request


def confirm_erasure(ctx: WorkspaceContext, request_id: int, text_ids: list[int] | None = None) -> ErasureRequest:
    """Step two: erase the previewed texts (or the subset the owner kept ticked) and everything derived."""
    ctx.require(MANAGE)
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().filter(workspace=ctx.workspace, pk=request_id).first()
        if request is None:
            raise NotFound("No such erasure request in this workspace.")
        if request.status == ErasureStatus.DONE:
            raise PrivacyError("This erasure has already been carried out.")
        if request.created_at < timezone.now() - PREVIEW_VALID_FOR:
            raise PrivacyError("This preview is more than a day old: search again, review the matches, then erase.")
        chosen = set(request.text_ids) if text_ids is None else set(request.text_ids) & set(text_ids)
        counts = erase_texts(ctx.workspace, sorted(chosen))
        request.status, request.counts = ErasureStatus.DONE, {**request.counts, **counts}
        request.text_ids, request.executed_at = [], timezone.now()
        request.save(update_fields=["status", "counts", "text_ids", "executed_at"])
        record(AuditAction.ERASURE, workspace=ctx.workspace, user=ctx.user,
               detail={"request": request.pk, "kind": request.kind, "criterion_hash": request.criterion_hash,
                       **counts})
    return request


def erase_texts(workspace: Workspace, ids: list[int]) -> dict[str, int]:
    """Delete the texts and every copy or trace of them: embeddings and analyses (cascade), moderation cases
    and the decisions quoting them, their ids in reports, copy and ideas, the uploaded files they came from,
    and the workspace's cached model outputs (which may quote them; the cache key is a hash of the inputs,
    so they cannot be found by text)."""
    ids = list(CustomerText.objects.filter(workspace=workspace, pk__in=ids).values_list("pk", flat=True))
    counts = {"texts": len(ids)}
    if not ids:
        return counts
    gone = set(ids)
    counts["embeddings"] = TextEmbedding.objects.filter(text_id__in=ids).count()
    counts["analyses"] = TextAnalysis.objects.filter(text_id__in=ids).count()
    counts.update(_erase_moderation(workspace, ids))
    counts.update(_erase_reply_traces(workspace, ids, gone))
    counts["report_references"] = _drop_ids(Insight.objects.filter(run__workspace=workspace), "evidence", gone) \
        + _drop_ids(ThemeSnapshot.objects.filter(run__workspace=workspace), "quotes", gone)
    counts["copy_references"] = _drop_ids(CopyVariant.objects.filter(workspace=workspace), "sources", gone) \
        + _drop_ids(ProductIdea.objects.filter(idea_set__workspace=workspace), "evidence", gone) \
        + _drop_from_grounding(workspace, gone)
    import_ids = set(TextImport.objects.filter(workspace=workspace, texts__in=ids).values_list("pk", flat=True))
    counts["import_files"] = TextImport.objects.filter(pk__in=import_ids).exclude(payload=b"").update(payload=b"")
    # Entries made before the cache knew its workspace cannot be told apart: they go too (it is only a cache).
    counts["llm_cache_entries"] = LLMCacheEntry.objects.filter(
        Q(workspace=workspace) | Q(workspace__isnull=True)).delete()[0]
    words = {w for text in CustomerText.objects.filter(pk__in=ids).values_list("text", flat=True) for w in tokens(text)}
    CustomerText.objects.filter(pk__in=ids).delete()
    counts["theme_keywords"] = _scrub_theme_keywords(workspace, words)
    return counts


def _scrub_theme_keywords(workspace: Workspace, erased_words: set[str]) -> int:
    """Theme keywords (and the labels made of them) are words from the texts: drop those that only the erased
    texts used. LLM-written labels and summaries are regenerated by the next analysis run."""
    remaining = CustomerText.objects.filter(workspace=workspace)
    changed = 0
    for theme in Theme.objects.filter(workspace=workspace).only("pk", "keywords", "label", "named_by_user"):
        drop = {k for k in theme.keywords or []
                if k in erased_words and not remaining.filter(text__icontains=k).exists()}
        if not drop:
            continue
        auto_label = " · ".join(theme.keywords[:3])
        theme.keywords = [k for k in theme.keywords if k not in drop]
        fields = ["keywords"]
        if not theme.named_by_user and theme.label == auto_label:
            theme.label = " · ".join(theme.keywords[:3]) or "Theme"
            fields.append("label")
            ThemeSnapshot.objects.filter(theme=theme, label=auto_label).update(label=theme.label)
        theme.save(update_fields=fields)
        changed += 1
    return changed


def _erase_moderation(workspace: Workspace, ids: list[int]) -> dict[str, int]:
    case_ids = list(ModerationCase.objects.filter(
        workspace=workspace, subject_type=CUSTOMER_TEXT, subject_id__in=[str(i) for i in ids],
    ).values_list("pk", flat=True))
    cases, decisions = _delete_cases(case_ids)
    return {"moderation_cases": cases, "moderation_decisions": decisions}


def _delete_cases(case_ids: list[int]) -> tuple[int, int]:
    """Delete moderation cases with their notes and decisions; returns (cases, decisions)."""
    if not case_ids:
        return 0, 0
    # Moderation's decision log is append-only for people; erasure is the one exception the law makes: its
    # entries quote the text (before_text/after_text). Its manager refuses deletes, hence plain SQL.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(AuditEntry._meta.db_table)} WHERE case_id = ANY(%s)",
                       [case_ids])
        decisions = cursor.rowcount
    cases = ModerationCase.objects.filter(pk__in=case_ids).delete()[1].get(ModerationCase._meta.label, 0)
    return cases, decisions


def _erase_reply_traces(workspace: Workspace, ids: list[int], gone: set[int]) -> dict[str, int]:
    """Reply drafts to the texts go with them (cascade); here: their moderation cases (drafts are moderated as
    subjects and may quote the customer) and the erased ids among other drafts' sources. Looked up through the
    app registry: replies sits above nothing privacy must import."""
    if not django_apps.is_installed("apps.replies"):
        return {}
    draft_model = django_apps.get_model("replies", "ReplyDraft")
    drafts = [str(pk) for pk in draft_model.objects.filter(text_id__in=ids).values_list("pk", flat=True)]
    subject_type = _reply_subject_type()
    cases = ModerationCase.objects.filter(workspace=workspace, subject_type=subject_type, subject_id__in=drafts)
    case_ids = list(cases.values_list("pk", flat=True))
    counts = {"reply_drafts": len(drafts), "reply_moderation_cases": _delete_cases(case_ids)[0]}
    changed = []
    for draft in draft_model.objects.filter(workspace=workspace).exclude(text_id__in=ids).only("pk", "sources"):
        sources = draft.sources or {}
        if gone.intersection(sources.get("texts", [])):
            draft.sources = {**sources, "texts": [t for t in sources["texts"] if t not in gone]}
            changed.append(draft)
    draft_model.objects.bulk_update(changed, ["sources"], batch_size=500)
    counts["reply_references"] = len(changed)
    return counts


def _reply_subject_type() -> str:
    """What moderation calls a reply draft: the app's SUBJECT_TYPE (copy's convention), else its default."""
    for module in ("apps.replies.models", "apps.replies.services"):
        with contextlib.suppress(ImportError):
            if value := getattr(import_module(module), "SUBJECT_TYPE", None):
                return value
    return "reply_draft"


def _drop_ids(queryset, field: str, gone: set[int]) -> int:
    """Remove erased ids from a JSON list of text ids; returns how many rows changed."""
    changed = []
    for row in queryset.only("pk", field).iterator(chunk_size=BATCH):
        values = getattr(row, field) or []
        if gone.intersection(values):
            setattr(row, field, [v for v in values if v not in gone])
            changed.append(row)
    if changed:
        type(changed[0]).objects.bulk_update(changed, [field], batch_size=500)
    return len(changed)


def _drop_from_grounding(workspace: Workspace, gone: set[int]) -> int:
    """Copy requests keep the quotes they were grounded in (redacted text, but still about the customer)."""
    changed = []
    for request in CopyRequest.objects.filter(workspace=workspace).only("pk", "grounding").iterator(chunk_size=500):
        grounding = request.grounding or {}
        quotes = [q for q in grounding.get("quotes", []) if q.get("id") not in gone]
        themes = [{**t, "evidence": [e for e in t.get("evidence", []) if e not in gone]}
                  for t in grounding.get("themes", [])]
        if quotes != grounding.get("quotes", []) or themes != grounding.get("themes", []):
            request.grounding = {**grounding, "quotes": quotes, "themes": themes}
            changed.append(request)
    if changed:
        CopyRequest.objects.bulk_update(changed, ["grounding"], batch_size=200)
    return len(changed)


# --- exports ----------------------------------------------------------------------------------------------

def start_export(ctx: WorkspaceContext, *, include_originals: bool = False) -> WorkspaceExport:
    """One job that builds the zip; originals only when asked (and that is on the audit log)."""
    ctx.require(MANAGE)
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "export", user=ctx.user,
                              params={"include_originals": include_originals})
        export = WorkspaceExport.objects.create(workspace=ctx.workspace, job=job, include_originals=include_originals,
                                                created_by=ctx.user if ctx.user.pk else None)
        job.params["export_id"] = export.pk
        job.save(update_fields=["params"])
        record(AuditAction.EXPORT, workspace=ctx.workspace, user=ctx.user,
               detail={"export": export.pk, "include_originals": include_originals})
        _publish_export(export.pk, job)
    return export


def _publish_export(export_id: int, job: Job) -> None:
    from .tasks import build_export_task  # tasks import this module

    jobs.publish_on_commit(job.pk, lambda: build_export_task.delay(export_id, job_id=str(job.pk)))


def export_retry_refusal(job: Job) -> str | None:
    if not WorkspaceExport.objects.filter(job=job).exists():
        return f"This export was deleted (exports are kept {settings.MURMUR_EXPORT_TTL_DAYS} days): start a new one."
    return None


def resend_export(job: Job) -> None:
    """Build the same export again (build_export leaves a finished one alone; its start is on the audit log)."""
    _publish_export(WorkspaceExport.objects.values_list("pk", flat=True).get(job=job), job)


def build_export(export_id: int) -> None:
    """Build the zip and store it (encrypted). Safe to run again: a finished export is left alone."""
    from .exports import build_archive

    export = WorkspaceExport.objects.defer("archive").select_related("workspace", "job").get(pk=export_id)
    if export.job.is_finished:
        return
    jobs.mark_running(export.job_id, message="Collecting the workspace's data.")

    def progress(done: int, total: int, message: str) -> None:
        jobs.set_progress(export.job_id, done, total=total, message=message)

    data, files = build_archive(export.workspace, include_originals=export.include_originals, progress=progress)
    WorkspaceExport.objects.filter(pk=export.pk).update(
        archive=data, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), finished_at=timezone.now())
    jobs.succeed(export.job_id, {"export_id": export.pk, "size_bytes": len(data), "files": files,
                                 "download_url": f"/api/v1/privacy/exports/{export.pk}/download"},
                 message=f"Export ready: {len(data) / 1024 / 1024:.1f} MB, {len(files)} files.")


def download_export(ctx: WorkspaceContext, export_id: int) -> WorkspaceExport:
    ctx.require(MANAGE)
    export = WorkspaceExport.objects.select_related("job").filter(workspace=ctx.workspace, pk=export_id).first()
    if export is None:
        raise NotFound("No such export in this workspace (exports are deleted after "
                       f"{settings.MURMUR_EXPORT_TTL_DAYS} days).")
    if export.finished_at is None:
        raise PrivacyError("This export is not ready yet: wait for its job to finish.")
    record(AuditAction.DOWNLOAD_EXPORT, workspace=ctx.workspace, user=ctx.user,
           detail={"export": export.pk, "include_originals": export.include_originals})
    return export


# --- the whole workspace ----------------------------------------------------------------------------------

def delete_workspace(ctx: WorkspaceContext, confirm_name: str) -> dict[str, int]:
    """Delete the workspace and everything in it. The privacy log keeps the fact (and counts), not the data."""
    ctx.require(MANAGE)
    workspace = ctx.workspace
    if (confirm_name or "").strip() != workspace.name:
        raise PrivacyError("Type the workspace's name exactly as shown to confirm its deletion.")
    counts = {"texts": CustomerText.objects.filter(workspace=workspace).count(),
              "members": workspace.memberships.count()}
    record(AuditAction.DELETE_WORKSPACE, workspace=workspace, user=ctx.user, detail=counts)
    # Texts first, in chunks, so no single statement holds a million rows (embeddings and analyses cascade).
    texts = CustomerText.objects.filter(workspace=workspace)
    while ids := list(texts.values_list("pk", flat=True)[:BATCH]):
        CustomerText.objects.filter(pk__in=ids).delete()
    with transaction.atomic():
        # Beat rows are not reached by the cascade: they would keep firing for a workspace that is gone.
        from django_celery_beat.models import PeriodicTask

        PeriodicTask.objects.filter(pk__in=AnalysisSettings.objects.filter(workspace=workspace)
                                    .exclude(periodic_task=None).values("periodic_task")).delete()
        LLMCacheEntry.objects.filter(workspace__isnull=True).delete()  # unattributed entries may be this one's
        workspace.delete()
    logger.info("workspace %s deleted by %s", workspace.pk, ctx.user)
    return counts
