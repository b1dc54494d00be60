"""The fast stage of the pipeline: detectors over subjects of one type, one case each, and the subjects'
new statuses written (customer texts) and announced (`subjects_moderated`)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import Workspace
from apps.corpus.models import CustomerText

from .. import detectors, selectors
from ..detectors import DetectorContext, ScreenInput
from ..models import CUSTOMER_TEXT, ModerationCase
from ..selectors import PolicySnapshot
from ..signals import subjects_moderated
from .verdicts import Subject, fast_fields, needs_judge, unjudged_fields

VOCABULARY_SAMPLE = 2000


def detector_context(workspace: Workspace) -> DetectorContext:
    """The workspace's vocabulary for the off-topic check, from its recent texts; cached for ten minutes."""

    def build() -> frozenset[str]:
        live = CustomerText.objects.filter(workspace=workspace, is_live=True)
        sample = list(live.order_by("-id").values_list("text", flat=True)[:VOCABULARY_SAMPLE])
        products = [p for p in live.values_list("product", flat=True).distinct()[:50] if p]
        return detectors.domain_vocabulary(sample, [workspace.name, *products])

    key = f"moderation:vocabulary:{workspace.pk}"
    vocabulary = cache.get(key)
    if vocabulary is None:
        vocabulary = build()
        if vocabulary:  # an empty one (too few texts yet) is not kept: the next import may teach it
            cache.set(key, vocabulary, 600)
    return DetectorContext(vocabulary)


def _fast_stage(workspace: Workspace, subjects: Sequence[Subject], policy: PolicySnapshot,
                context: DetectorContext) -> list[dict[str, Any]]:
    results = detectors.screen_batch([ScreenInput(s.text, s.original_text, s.language, s.allowed_calls_to_action)
                                      for s in subjects], context)
    fields = []
    for subject, result in zip(subjects, results, strict=True):
        judge = needs_judge(result, policy)
        if judge and not policy.use_llm_judge:
            case = ModerationCase(text=subject.text, signals=[s.as_dict() for s in result.signals])
            row = unjudged_fields(case, policy, "the LLM judge is switched off for this workspace.")
            row["signals"] = case.signals
        else:
            row = fast_fields(result, policy, subject.text, judge=judge)
        row["language"] = result.language[:12]
        fields.append(row)
    return fields


def _announce(workspace_id: int, subject_type: str, changes: list[dict[str, Any]]) -> None:
    if changes:
        transaction.on_commit(lambda: subjects_moderated.send(
            sender=ModerationCase, workspace_id=workspace_id, subject_type=subject_type, changes=changes))


def _apply_to_subjects(workspace_id: int, subject_type: str, changes: list[dict[str, Any]]) -> None:
    """Write the new statuses where moderation owns the link (customer texts), announce them to everyone."""
    if subject_type == CUSTOMER_TEXT:
        by_status: dict[str, list[int]] = defaultdict(list)
        for change in changes:
            by_status[change["status"]].append(int(change["subject_id"]))
            if change.get("text"):
                CustomerText.objects.filter(workspace_id=workspace_id, pk=int(change["subject_id"])).update(
                    text=change["text"])
        for status, ids in by_status.items():
            CustomerText.objects.filter(workspace_id=workspace_id, pk__in=ids).update(moderation_status=status)
    _announce(workspace_id, subject_type, changes)


def _change(case: ModerationCase, status: str, text: str | None = None) -> dict[str, Any]:
    return {"subject_id": case.subject_id, "status": status, "text": text, "case_id": case.pk}


def screen_subjects(workspace: Workspace, subjects: Sequence[Subject], *, job_id: str | None = None,
                    context: DetectorContext | None = None, replace: bool = False) -> list[ModerationCase]:
    """The fast stage for subjects of one type: write a case each and the subjects' statuses. Cases the fast
    stage could not settle are left "screening" for the judge. Subjects that already have a case keep it
    unless `replace` (a new version of a generated text is judged afresh)."""
    if not subjects:
        return []
    subject_type = subjects[0].subject_type
    if any(s.subject_type != subject_type for s in subjects):
        raise ValueError("screen_subjects takes subjects of one type at a time")
    policy = selectors.policy_snapshot(workspace)
    rows = _fast_stage(workspace, subjects, policy, context or detector_context(workspace))
    with transaction.atomic():
        if replace:
            saved = []
            for subject, row in zip(subjects, rows, strict=True):
                case, _ = ModerationCase.objects.update_or_create(
                    workspace=workspace, subject_type=subject_type, subject_id=subject.subject_id,
                    defaults={**row, "text": subject.text, "source": subject.source[:100], "job_id": job_id,
                              "final_text": "", "decision": "", "decided_by": None, "decided_at": None})
                saved.append(case)
        else:
            insert_new_cases([
                ModerationCase(workspace=workspace, subject_type=subject_type, subject_id=s.subject_id, text=s.text,
                               source=s.source[:100], job_id=job_id, **row)
                for s, row in zip(subjects, rows, strict=True)
            ])
            saved = list(ModerationCase.objects.filter(
                workspace=workspace, subject_type=subject_type, subject_id__in=[s.subject_id for s in subjects],
            ).only("pk", "subject_type", "subject_id", "status", "subject_status", "job_id"))
        _apply_to_subjects(workspace.pk, subject_type, [_change(c, c.subject_status) for c in saved])
    return saved


_STAGE_TABLE = "moderation_case_stage"


def insert_new_cases(cases: list[ModerationCase]) -> None:
    """`bulk_create(ignore_conflicts=True)` through COPY into a staging table: an import writes a case per
    text, and building Django's multi-row INSERT of these wide rows took most of the pipeline's time."""
    if not cases:
        return
    now = timezone.now()
    fields = [f for f in ModerationCase._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(ModerationCase._meta.db_table)
    # Per session, named after its columns (a connection that outlives a migration never reuses a stale one).
    stage = f"{_STAGE_TABLE}_{hashlib.sha1(columns.encode()).hexdigest()[:8]}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                       f"SELECT {columns} FROM {table} WITH NO DATA")
        cursor.execute(f"TRUNCATE {stage}")  # an earlier savepoint of the same transaction may have used it
        with cursor.cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for case in cases:
                case.created_at = case.updated_at = now
                copy.write_row([f.get_db_prep_save(getattr(case, f.attname), connection) for f in fields])
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} ON CONFLICT DO NOTHING")
