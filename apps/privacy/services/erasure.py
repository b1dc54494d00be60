"""Erasure: find a customer's texts (preview), then erase them and every copy or trace of them (confirm)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from importlib import import_module

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import MANAGE
from apps.copy.models import CopyRequest, CopyVariant, ProductIdea
from apps.core import crypto
from apps.corpus.models import CustomerText, TextImport
from apps.embeddings.models import TextEmbedding
from apps.insights.clustering import tokens
from apps.insights.models import Insight, TextAnalysis, Theme, ThemeSnapshot
from apps.llm.models import LLMCacheEntry
from apps.moderation.models import CUSTOMER_TEXT, AuditEntry, ModerationCase

from ..models import AuditAction, ErasureKind, ErasureRequest, ErasureStatus
from .audit import record
from .errors import NotFound, PrivacyError

BATCH = 2000


PREVIEW_VALID_FOR = timedelta(days=1)


def criterion_hash(workspace: Workspace, kind: str, value: str) -> str:
    """Keyed and per workspace, so the log proves what was searched for without letting anyone test guesses
    against it or link one customer's erasures across workspaces."""
    return crypto.blind_index(f"{kind}:{value}", workspace.pk, purpose=crypto.ERASURE_CRITERION)


def find_matches(workspace: Workspace, kind: str, value: str) -> list[int]:
    """Ids of the workspace's texts about the customer. Authors match exactly through the blind index (SQL);
    emails and words are looked for in the decrypted originals, the redacted texts and the authors, one pass
    over the workspace (an owner's occasional search, bounded by the workspace's size)."""
    texts = CustomerText.objects.filter(workspace=workspace)
    ids: set[int] = set()
    if kind in (ErasureKind.AUTHOR, ErasureKind.EMAIL):
        digests = crypto.blind_indexes(value, workspace.pk)  # the author's index in this workspace, under every key
        ids.update(texts.filter(author_digest__in=digests).values_list("pk", flat=True))
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
    digest = criterion_hash(ctx.workspace, kind, value)
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


def erase_import_texts(ctx: WorkspaceContext, text_import_id: int, ids: list[int]) -> dict[str, int]:
    """"Undo this import" (corpus.services.undo_import, which checks the role and locks the import): its texts
    go the way erasure's do (`erase_texts`), and the log keeps the import's id and the counts."""
    counts = erase_texts(ctx.workspace, ids)
    record(AuditAction.ERASURE, workspace=ctx.workspace, user=ctx.user,
           detail={"undone_import": text_import_id, **counts})
    return counts


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
