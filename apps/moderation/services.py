"""Writes of moderation: the automatic pipeline (fast detectors, then the LLM judge for what they cannot
settle), people's decisions with their audit log, bulk decisions as a background job, and the policy.

Other apps moderate their own texts through two functions and never touch the models:

    moderate_generated(workspace, subject_type, subject_id, text) -> Verdict
    moderate_generated_many(workspace, subject_type, [(subject_id, text), ...]) -> list[Verdict]

Customer texts are moderated on import (receivers.py); their outcome is written to
CustomerText.moderation_status. Every change of a subject's status is announced by `subjects_moderated`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import BigIntegerField, Max, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from apps.accounts.context import PermissionDenied, WorkspaceContext
from apps.accounts.models import Membership, Workspace
from apps.accounts.permissions import MANAGE, MODERATE, role_allows
from apps.core.errors import InvalidRequest, NotFound
from apps.corpus.models import CustomerText, ModerationStatus
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.llm.gateway import LLMBudgetExceeded, LLMError, LLMRequest, LLMResult, LLMUnavailable, get_gateway

from . import detectors, selectors
from .detectors import DetectorContext, FastResult, ScreenInput, Signal
from .models import (
    CUSTOMER_TEXT,
    DEFAULT_RULES,
    Action,
    AuditAction,
    AuditEntry,
    CaseNote,
    CaseStatus,
    Category,
    ModerationCase,
    ModerationPolicy,
    PolicyRule,
    Stage,
)
from .schemas import JudgeVerdict
from .selectors import CaseFilters, PolicySnapshot
from .signals import subjects_moderated

logger = logging.getLogger(__name__)

SCREEN_CHUNK = 1000  # texts per fast-stage chunk (one profanity call, one bulk insert)
JUDGE_BATCH = 32  # cases per LLM task: one `run_many` keeps them all in flight
BULK_CHUNK = 500  # cases per transaction of a bulk decision
JUDGE_MAX_CHARS = 1500  # what the judge sees of a long text: windows around what the detectors flagged
JUDGE_WINDOW = 300  # characters around each flagged span
MAX_TEXT_CHARS = 20_000
VOCABULARY_SAMPLE = 2000
SUBJECT_TYPE = re.compile(r"[a-z][a-z_]{0,29}")

CASE_STATUS_FOR = {Action.ALLOW: CaseStatus.APPROVED, Action.QUEUE: CaseStatus.PENDING,
                   Action.HIDE: CaseStatus.PENDING}
SUBJECT_STATUS_FOR = {Action.ALLOW: ModerationStatus.APPROVED, Action.QUEUE: ModerationStatus.PENDING,
                      Action.HIDE: ModerationStatus.HIDDEN}


class ModerationError(InvalidRequest):
    """A request the user can fix; the message says how (400 in the API)."""


class CaseNotFound(NotFound, ModerationError):
    """No such case in this workspace (404 in the API); still a ModerationError for the pages that catch those."""


@dataclass(frozen=True)
class Subject:
    """Anything moderation is handed: a type, an id in its owner's terms, and the text to judge."""

    subject_type: str
    subject_id: str
    text: str
    original_text: str | None = None  # before redaction (customer texts), for personal data
    language: str = ""
    source: str = ""
    allowed_calls_to_action: tuple[str, ...] = ()  # generated copy: what its brief asks readers to do


@dataclass(frozen=True)
class Verdict:
    """What a caller of `moderate_generated` gets back."""

    case_id: int
    subject_type: str
    subject_id: str
    status: str  # the subject's status: "approved" (usable now), "pending" (awaits a moderator), "hidden"
    action: str  # the policy's action: "allow", "queue" or "hide"
    stage: str  # which stage decided: "fast" or "llm"
    categories: list[str]
    severity: int  # 0-3
    rationale: str
    offending_span: str

    @property
    def approved(self) -> bool:
        return self.status == ModerationStatus.APPROVED


def verdict_of(case: ModerationCase) -> Verdict:
    return Verdict(case_id=case.pk, subject_type=case.subject_type, subject_id=case.subject_id,
                   status=case.subject_status, action=case.auto_action, stage=case.stage,
                   categories=list(case.categories), severity=case.severity, rationale=case.rationale,
                   offending_span=case.offending_span)


# --- turning evidence into a verdict ----------------------------------------------------------------------


def needs_judge(result: FastResult, policy: PolicySnapshot) -> bool:
    """Ask the LLM only where its answer could change the outcome: a candidate in a category the policy acts
    on, unless certain evidence already leads to the strictest action."""
    if not any(policy.could_flag(c) for c in result.candidate_categories):
        return False
    action, _ = policy.action_for(result.certain_scores)
    return action != Action.HIDE


def _signals_of(case_signals: list[dict]) -> FastResult:
    return FastResult(language="", signals=[Signal(**s) for s in case_signals])


def _strongest_span(signals: list[Signal], text: str) -> tuple[str, int | None, int | None]:
    with_span = sorted((s for s in signals if s.start is not None), key=lambda s: (-s.severity, not s.certain))
    if not with_span:
        return "", None, None
    s = with_span[0]
    return text[s.start:s.end], s.start, s.end


def _fast_rationale(signals: list[Signal], span: str) -> str:
    if not signals:
        return "No detector found anything to flag."
    parts: dict[str, str] = {}
    for s in sorted(signals, key=lambda s: -s.severity):
        label = f"{detectors.CATEGORY_LABELS[s.category]} ({detectors.SEVERITY_LABELS[s.severity]})"
        parts.setdefault(label, s.reason)
    text = "; ".join(f"{label}: {reason}" for label, reason in parts.items())
    return f"{text} — “{span[:120]}”" if span else text


def _verdict_fields(action: str, scores: dict[str, int], **fields: Any) -> dict[str, Any]:
    scores = {c: s for c, s in scores.items() if s > 0}
    return {"auto_action": action, "scores": scores, "categories": sorted(scores),
            "severity": max(scores.values(), default=0), "status": CASE_STATUS_FOR[action],
            "subject_status": SUBJECT_STATUS_FOR[action], **fields}


def fast_fields(result: FastResult, policy: PolicySnapshot, text: str, *, judge: bool) -> dict[str, Any]:
    """Case fields after the fast stage: a verdict, or "screening" when the LLM judge will decide."""
    signals = [s.as_dict() for s in result.signals]
    if judge:
        span, start, end = _strongest_span(result.signals, text)
        waiting = ", ".join(dict.fromkeys(detectors.CATEGORY_LABELS[c] for c in result.candidate_categories))
        return {"stage": Stage.FAST, "signals": signals, "scores": result.certain_scores,
                "categories": sorted(result.certain_scores), "severity": max(result.certain_scores.values(),
                                                                              default=0),
                "auto_action": Action.QUEUE, "status": CaseStatus.SCREENING,
                "subject_status": ModerationStatus.PENDING, "rationale": f"Waiting for the LLM judge ({waiting}).",
                "offending_span": span, "span_start": start, "span_end": end, "llm_error": ""}
    scores = result.certain_scores
    action, _ = policy.action_for(scores)
    certain = [s for s in result.signals if s.certain]
    span, start, end = _strongest_span(certain, text)
    return _verdict_fields(action, scores, stage=Stage.FAST, signals=signals, rationale=_fast_rationale(certain, span),
                           offending_span=span, span_start=start, span_end=end, llm_error="")


def locate_span(span: str, text: str) -> tuple[str, int | None, int | None]:
    """The judge must quote the text: a span that does not occur in it is dropped."""
    span = span.strip().strip("\"'“”")
    if not span:
        return "", None, None
    m = re.search(re.escape(span), text, re.IGNORECASE)
    if m is None:
        return "", None, None
    return text[m.start():m.end()], m.start(), m.end()


def person_must_decide(signals: list[Signal]) -> bool:
    """A threat or hate hit (certain or not) is never cleared by the LLM alone: a small model misses veiled
    threats ("watch your back", 你等着), and approving one is the costliest mistake moderation can make."""
    return any(s.category == detectors.VIOLENCE or s.detector.startswith("hate.") for s in signals)


def judged_fields(case: ModerationCase, output: JudgeVerdict, policy: PolicySnapshot) -> dict[str, Any]:
    """Certain fast evidence plus the judge's verdict, within two limits: the judge alone never hides a text
    on which the detectors found nothing certain to act on (it can queue it for a person), and it never
    approves a text with a threat or hate hit (a person decides)."""
    fast = _signals_of(case.signals)
    categories = list(dict.fromkeys(output.categories))
    severity = output.severity if categories else 0
    scores = dict(fast.certain_scores)
    for c in categories:
        scores[c] = max(scores.get(c, 0), severity)
    span, start, end = locate_span(output.offending_span, case.text)
    if not span and any(scores.values()):
        span, start, end = _strongest_span([s for s in fast.signals if s.certain], case.text)
    action, _ = policy.action_for(scores)
    certain_action, _ = policy.action_for(fast.certain_scores)
    if action == Action.HIDE and certain_action == Action.ALLOW:
        action = Action.QUEUE
    if action == Action.ALLOW and person_must_decide(fast.signals):
        action = Action.QUEUE
        for s in fast.signals:
            scores[s.category] = max(scores.get(s.category, 0), s.severity)
    rationale = output.rationale.strip() or "The LLM judge gave no reason."
    return _verdict_fields(action, scores, stage=Stage.LLM, rationale=rationale, offending_span=span,
                           span_start=start, span_end=end, llm_error="")


def unjudged_fields(case: ModerationCase, policy: PolicySnapshot, problem: str) -> dict[str, Any]:
    """The judge could not decide (or is switched off): a person must. Candidates count as evidence here so the
    case can be found by its suspected categories; the subject waits as pending (or hidden)."""
    fast = _signals_of(case.signals)
    scores = dict(fast.certain_scores)
    for s in fast.candidates:
        scores[s.category] = max(scores.get(s.category, 0), s.severity)
    action, _ = policy.action_for(fast.certain_scores)
    action = Action.HIDE if action == Action.HIDE else Action.QUEUE
    reasons = _fast_rationale(fast.signals, case.offending_span)
    return _verdict_fields(action, scores, stage=Stage.FAST, llm_error=problem[:300],
                           rationale=f"Needs a person: {problem} Detectors: {reasons}")


# --- the pipeline ----------------------------------------------------------------------------------------


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


def queue_judging(case_ids: list[int], job_id: str | None) -> int:
    """One LLM task per batch of cases, queued once the cases are committed."""
    from .tasks import judge_cases

    batches = [case_ids[i:i + JUDGE_BATCH] for i in range(0, len(case_ids), JUDGE_BATCH)]
    for batch in batches:
        jobs.publish_on_commit(job_id, lambda batch=batch: judge_cases.delay(batch, job_id=job_id))
    return len(batches)


def judge_excerpt(text: str, spans: Sequence[tuple[int, int]], max_chars: int = JUDGE_MAX_CHARS,
                  window: int = JUDGE_WINDOW) -> str:
    """What the judge reads of `text`: all of it when short; otherwise windows of about `window` characters
    around each flagged span (merged where they overlap, joined by " … "), then the start, up to `max_chars`.
    A threat on page three of a long ticket is what the judge must see, not the greeting."""
    if len(text) <= max_chars:
        return text
    half = window // 2
    windows: list[list[int]] = []
    for start, end in sorted((max(0, s - half), min(len(text), e + half)) for s, e in spans):
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    if not windows:
        windows = [[0, window]]
    parts, used = [], 0
    for start, end in windows:
        end = min(end, start + max_chars - used)
        if end <= start:
            break
        parts.append(text[start:end].strip())
        used += end - start
    if used < max_chars and windows[0][0] > 0:  # room left: the opening says what the text is about
        parts.insert(0, text[:min(windows[0][0], max_chars - used)].strip())
    return " … ".join(p for p in parts if p)


def judge_request(case: ModerationCase) -> LLMRequest:
    hints = [{"category": s["category"], "why": s["reason"]} for s in case.signals if not s["certain"]]
    spans = [(s["start"], s["end"]) for s in case.signals if s.get("start") is not None and s.get("end") is not None]
    return LLMRequest("moderation/judge", 2, {"text": judge_excerpt(case.text, spans), "hints": hints}, JudgeVerdict,
                      max_tokens=400)  # room for a Chinese rationale and span at their maximum


def judge(cases: list[ModerationCase], *, wait_for_llm: bool = True) -> None:
    """The LLM stage for cases of one workspace still screening: one `run_many` for all of them.
    While no model server answers, LLMUnavailable is raised (the task retries and the job says it waits)
    unless `wait_for_llm` is False: then the cases go to the human queue."""
    if not cases:
        return
    workspace = cases[0].workspace
    policy = selectors.policy_snapshot(workspace)
    try:
        results: list[LLMResult | LLMError] = get_gateway().run_many(
            [judge_request(c) for c in cases], workspace=workspace, feature="moderation")
    except LLMUnavailable as exc:
        if wait_for_llm:
            raise
        results = [exc] * len(cases)
    except LLMBudgetExceeded as exc:
        results = [exc] * len(cases)
    updates = {}
    for case, result in zip(cases, results, strict=True):
        if isinstance(result, LLMResult):
            updates[case.pk] = judged_fields(case, result.output, policy)
        else:
            logger.warning("moderation judge failed for case %s: %s", case.pk, result)
            updates[case.pk] = unjudged_fields(case, policy, _problem(result))
    _save_judged(workspace, updates)


def _problem(error: LLMError) -> str:
    if isinstance(error, LLMUnavailable):
        return "the LLM judge was unreachable."
    if isinstance(error, LLMBudgetExceeded):
        return "this workspace's LLM budget for the month is used up."
    return f"the LLM judge could not decide ({error})."


def _save_judged(workspace: Workspace, updates: dict[int, dict[str, Any]]) -> None:
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with transaction.atomic():
        # Only cases still screening: a moderator may have decided one meanwhile, and their decision stands.
        locked = list(ModerationCase.objects.select_for_update().filter(pk__in=list(updates),
                                                                         status=CaseStatus.SCREENING))
        for case in locked:
            for name, value in updates[case.pk].items():
                setattr(case, name, value)
            by_type[case.subject_type].append(_change(case, case.subject_status))
        fields = sorted({name for row in updates.values() for name in row} | {"updated_at"})
        for case in locked:
            case.updated_at = timezone.now()
        ModerationCase.objects.bulk_update(locked, fields)
        for subject_type, changes in by_type.items():
            _apply_to_subjects(workspace.pk, subject_type, changes)


def judge_cases(case_ids: list[int], job_id: str | None = None) -> None:
    """Task body: judge a batch; idempotent (cases already judged are skipped)."""
    cases = list(ModerationCase.objects.filter(pk__in=case_ids, status=CaseStatus.SCREENING)
                 .select_related("workspace").order_by("pk"))
    by_workspace: dict[int, list[ModerationCase]] = defaultdict(list)
    for case in cases:
        by_workspace[case.workspace_id].append(case)
    for group in by_workspace.values():
        judge(group)
    if job_id:
        refresh_screening_job(job_id)


# --- customer texts: screening an import (or the unchecked backlog) as a job ----------------------------


def _scope(job: Job):
    texts = CustomerText.objects.filter(workspace_id=job.workspace_id, is_live=True)
    if "text_import_id" in job.params:
        return texts.filter(text_import_id=job.params["text_import_id"])
    return texts.filter(pk__in=job.params.get("text_ids", [])) if "text_ids" in job.params else texts


def start_import_screening(workspace_id: int, text_import_id: int) -> Job | None:
    """Called when an import's texts became live. One job per import: a re-sent signal changes nothing."""
    if Job.objects.filter(workspace_id=workspace_id, kind="moderation",
                          params__text_import_id=text_import_id).exists():
        return None
    workspace = Workspace.objects.get(pk=workspace_id)
    total = CustomerText.objects.filter(text_import_id=text_import_id, is_live=True).count()
    return _start_screening_job(workspace, {"text_import_id": text_import_id}, total, user=None)


def start_backlog_screening(ctx: WorkspaceContext) -> Job:
    """Moderate the workspace's texts that never were (imported before moderation existed)."""
    ctx.require(MODERATE)
    ids = list(CustomerText.objects.filter(workspace=ctx.workspace, is_live=True,
                                           moderation_status=ModerationStatus.UNCHECKED)
               .order_by("pk").values_list("pk", flat=True))
    return _start_screening_job(ctx.workspace, {"text_ids": ids}, len(ids), user=ctx.user)


def _start_screening_job(workspace: Workspace, params: dict, total: int, user) -> Job:
    with transaction.atomic():
        job = jobs.create_job(workspace, "moderation", total=total, user=user, params=params,
                              message="Queued for moderation.")
        resend_screening(job)
    return job


def resend_screening(job: Job) -> None:
    """Queue the fast stage; also how a failed screening is retried (texts with a case are skipped, and cases an
    earlier run left waiting go to the judge)."""
    from .tasks import screen_texts

    jobs.publish_on_commit(job.pk, lambda: screen_texts.delay(job_id=str(job.pk)))


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def screen_texts(job_id: str) -> None:
    """Task body: the fast stage over the job's texts in chunks, then LLM batches for the rest. Safe to run
    again: texts that have a case are skipped, and cases an interrupted run left waiting are judged."""
    job = Job.objects.select_related("workspace").get(pk=job_id)
    if job.is_finished:
        return
    jobs.mark_running(job.pk, message="Screening texts with the fast detectors.")
    workspace = job.workspace
    screened = (ModerationCase.objects.filter(workspace=workspace, subject_type=CUSTOMER_TEXT)
                .annotate(text_id=Cast("subject_id", BigIntegerField())).values("text_id"))
    ids = list(_scope(job).exclude(pk__in=Subquery(screened)).order_by("pk").values_list("pk", flat=True))
    if not ids:  # a re-run: judge what an earlier run left waiting (judging skips what is done)
        queue_judging(list(ModerationCase.objects.filter(job=job, status=CaseStatus.SCREENING)
                           .values_list("pk", flat=True)), str(job.pk))
    context = detector_context(workspace)
    waiting: list[int] = []  # judged in full batches: one run_many keeps many requests in flight
    for chunk in _chunks(ids, SCREEN_CHUNK):
        rows = CustomerText.objects.filter(pk__in=chunk).values_list("pk", "text", "original_text", "language",
                                                                     "source")
        subjects = [Subject(CUSTOMER_TEXT, str(pk), text, original, language or "", source or "")
                    for pk, text, original, language, source in rows]
        cases = screen_subjects(workspace, subjects, job_id=str(job.pk), context=context)
        waiting += [c.pk for c in cases if c.status == CaseStatus.SCREENING and c.job_id == job.pk]
        full = len(waiting) - len(waiting) % JUDGE_BATCH
        queue_judging(waiting[:full], str(job.pk))
        waiting = waiting[full:]
        refresh_screening_job(str(job.pk))
    queue_judging(waiting, str(job.pk))
    Job.objects.filter(pk=job.pk).update(params={**job.params, "fast_stage_done": True})
    refresh_screening_job(str(job.pk))


def refresh_screening_job(job_id: str) -> None:
    """Progress from the database (a retried batch never double counts); the job succeeds when the fast
    stage is through and no case waits for the judge."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    cases = ModerationCase.objects.filter(job=job)
    waiting = cases.filter(status=CaseStatus.SCREENING).count()
    settled = cases.count() - waiting
    if not (job.params.get("fast_stage_done") and waiting == 0):
        message = (f"{settled} texts moderated, {waiting} waiting for the LLM judge." if waiting
                   else f"{settled} texts moderated.")
        jobs.set_progress(job.pk, min(settled, job.total), message=message)
        return
    summary = screening_summary(job)
    jobs.succeed(job.pk, summary, message=(
        f"{summary['cases']} texts moderated: {summary['approved']} approved, {summary['pending']} for review, "
        f"{summary['hidden']} hidden; {summary['llm']} needed the LLM judge."))


def screening_summary(job: Job) -> dict[str, Any]:
    cases = ModerationCase.objects.filter(job=job)
    return {
        "cases": cases.count(),
        "approved": cases.filter(subject_status=ModerationStatus.APPROVED).count(),
        "pending": cases.filter(subject_status=ModerationStatus.PENDING).count(),
        "hidden": cases.filter(subject_status=ModerationStatus.HIDDEN).count(),
        "llm": cases.filter(stage=Stage.LLM).count(),
        "llm_failed": cases.exclude(llm_error="").count(),
        "text_import_id": job.params.get("text_import_id"),
    }


# --- generated text: copy variants, reply drafts, … -----------------------------------------------------


def moderate_generated_many(workspace: Workspace, subject_type: str, items: Sequence[tuple[str | int, str]], *,
                            language: str = "", source: str = "", wait_for_llm: bool = False,
                            allowed_calls_to_action: Sequence[str] = ()) -> list[Verdict]:
    """Moderate texts another app generated, synchronously: the fast stage, then the LLM judge (one
    `run_many`) for what it cannot settle. Returns one Verdict per item, in order. A subject moderated again
    (a new version of the same variant) gets a fresh verdict. When no model server answers, the unsettled
    texts go to the human queue (status "pending"), or LLMUnavailable is raised with `wait_for_llm` (for
    callers inside an LLM task that would rather retry).

    `allowed_calls_to_action`: the phrases the text's brief asks readers to act on ("Pre-order now", "Book a
    demo"); copy is not spam for asking what its brief asks. Other spam evidence (links, prizes, …) still counts."""
    if subject_type == CUSTOMER_TEXT or not SUBJECT_TYPE.fullmatch(subject_type):
        raise ValueError(f"subject_type must be a lower-case name such as 'copy_variant', not {subject_type!r}.")
    allowed = tuple(p for p in allowed_calls_to_action if p and p.strip())
    subjects = [Subject(subject_type, str(sid), (text or "")[:MAX_TEXT_CHARS], None, language,
                        source or subject_type, allowed) for sid, text in items]
    cases = screen_subjects(workspace, subjects, replace=True)
    screening = [c for c in cases if c.status == CaseStatus.SCREENING]
    for case in screening:
        case.workspace = workspace
    judge(screening, wait_for_llm=wait_for_llm)
    by_id = {c.pk: c for c in ModerationCase.objects.filter(pk__in=[c.pk for c in cases])}
    return [verdict_of(by_id[c.pk]) for c in cases]


def moderate_generated(workspace: Workspace, subject_type: str, subject_id: str | int, text: str, *,
                       language: str = "", source: str = "", wait_for_llm: bool = False,
                       allowed_calls_to_action: Sequence[str] = ()) -> Verdict:
    """One generated text; see moderate_generated_many. `verdict.approved` says whether it may be shown."""
    return moderate_generated_many(workspace, subject_type, [(subject_id, text)], language=language, source=source,
                                   wait_for_llm=wait_for_llm, allowed_calls_to_action=allowed_calls_to_action)[0]


# --- people's decisions ----------------------------------------------------------------------------------

DECISIONS = (AuditAction.APPROVE, AuditAction.EDIT, AuditAction.REJECT, AuditAction.SEND_BACK)


def _decision_target(action: str, auto_action: str) -> tuple[str, str]:
    """(case status, subject status) after a decision."""
    if action in (AuditAction.APPROVE, AuditAction.EDIT):
        return CaseStatus.APPROVED, ModerationStatus.APPROVED
    if action == AuditAction.REJECT:
        return CaseStatus.REJECTED, ModerationStatus.REJECTED
    return CaseStatus.PENDING, (ModerationStatus.HIDDEN if auto_action == Action.HIDE else ModerationStatus.PENDING)


def _validate_decision(action: str, text: str | None, note: str) -> str | None:
    if action not in DECISIONS:
        raise ModerationError(f"Unknown action {action!r}; choose one of {', '.join(DECISIONS)}.")
    if len(note) > 5000:
        raise ModerationError("The note is too long: keep it under 5000 characters.")
    if action == AuditAction.EDIT:
        text = (text or "").strip()
        if not text:
            raise ModerationError("To edit and approve, send the corrected text in `text`.")
        if len(text) > MAX_TEXT_CHARS:
            raise ModerationError(f"The edited text is too long: keep it under {MAX_TEXT_CHARS} characters.")
        return text
    return None


def _actor_name(user) -> str:
    return user.get_username() if user is not None and user.pk else "system"


def decide(ctx: WorkspaceContext, case_id: int, action: str, *, text: str | None = None,
           note: str = "") -> ModerationCase:
    """Approve, edit and approve, reject, or send back one case; written to the audit log."""
    ctx.require(MODERATE)
    edited = _validate_decision(action, text, note.strip())
    with transaction.atomic():
        case = ModerationCase.objects.select_for_update().filter(workspace=ctx.workspace, pk=case_id).first()
        if case is None:
            raise CaseNotFound("No such case in this workspace.")
        before_status, before_text = case.subject_status, case.current_text
        case.status, case.subject_status = _decision_target(action, case.auto_action)
        now = timezone.now()
        if action == AuditAction.SEND_BACK:
            case.decision, case.decided_by, case.decided_at, case.assigned_to = "", None, None, None
        else:
            case.decision, case.decided_by, case.decided_at = action, ctx.user, now
        if edited is not None:
            case.final_text = edited
        case.save()
        AuditEntry.objects.create(
            workspace=ctx.workspace, case=case, actor=ctx.user, actor_name=_actor_name(ctx.user), action=action,
            before_status=before_status, after_status=case.subject_status, before_text=before_text,
            after_text=case.current_text, note=note.strip())
        _apply_to_subjects(ctx.workspace.pk, case.subject_type, [_change(case, case.subject_status, edited)])
    return case


def add_note(ctx: WorkspaceContext, case_id: int, body: str) -> CaseNote:
    ctx.require(MODERATE)
    body = body.strip()
    if not body or len(body) > 5000:
        raise ModerationError("Write a note of 1 to 5000 characters.")
    case = selectors.get_case(ctx.workspace, case_id)
    if case is None:
        raise CaseNotFound("No such case in this workspace.")
    return CaseNote.objects.create(case=case, author=ctx.user, body=body)


def _moderator(workspace: Workspace, user_id: int | None):
    if user_id is None:
        return None
    membership = Membership.objects.select_related("user").filter(workspace=workspace, user_id=user_id).first()
    if membership is None or not role_allows(membership.role, MODERATE):
        raise ModerationError("Cases can only be assigned to an owner or a moderator of this workspace.")
    return membership.user


def assign(ctx: WorkspaceContext, case_id: int, assignee_id: int | None) -> ModerationCase:
    """Assign a case to a moderator (or nobody). Logged like a decision, without changing any status."""
    ctx.require(MODERATE)
    assignee = _moderator(ctx.workspace, assignee_id)
    with transaction.atomic():
        case = ModerationCase.objects.select_for_update().filter(workspace=ctx.workspace, pk=case_id).first()
        if case is None:
            raise CaseNotFound("No such case in this workspace.")
        case.assigned_to = assignee
        case.save(update_fields=["assigned_to", "updated_at"])
        AuditEntry.objects.create(
            workspace=ctx.workspace, case=case, actor=ctx.user, actor_name=_actor_name(ctx.user),
            action=AuditAction.ASSIGN, before_status=case.subject_status, after_status=case.subject_status,
            note=f"Assigned to {assignee.get_username()}." if assignee else "Unassigned.")
    return case


# --- bulk decisions: a selection, or every case matching a filter, as one background job ------------------

BULK_ACTIONS = (AuditAction.APPROVE, AuditAction.REJECT, AuditAction.SEND_BACK, AuditAction.ASSIGN)


def start_bulk_decision(ctx: WorkspaceContext, action: str, *, case_ids: list[int] | None = None,
                        filters: CaseFilters | None = None, note: str = "", assignee_id: int | None = None) -> Job:
    """Decide a selection of cases, or every case matching the queue's filter, in a background job. The set
    is fixed when the job starts: cases that arrive later are not included."""
    ctx.require(MODERATE)
    if action not in BULK_ACTIONS:
        raise ModerationError(f"Bulk actions are {', '.join(BULK_ACTIONS)}; edit cases one at a time.")
    if (case_ids is None) == (filters is None):
        raise ModerationError("Choose cases, or apply the action to every case matching a filter.")
    if len(note) > 5000:
        raise ModerationError("The note is too long: keep it under 5000 characters.")
    if action == AuditAction.ASSIGN:
        _moderator(ctx.workspace, assignee_id)
    qs = selectors.cases(ctx.workspace)
    max_id = qs.aggregate(m=Max("pk"))["m"] or 0
    params: dict[str, Any] = {"action": action, "note": note.strip(), "assignee_id": assignee_id, "max_id": max_id,
                              "cursor": 0}
    if case_ids is not None:
        if not case_ids:
            raise ModerationError("Select at least one case.")
        ids = sorted({int(i) for i in case_ids})
        params["case_ids"] = ids
        total = qs.filter(pk__in=ids).count()
    else:
        params["filters"] = filters.as_params()
        total = filters.apply(qs).count()
    from .tasks import apply_bulk_decision

    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "moderation_bulk", total=total, user=ctx.user, params=params,
                              message=f"Queued: {action} {total} cases.")
        jobs.publish_on_commit(job.pk, lambda: apply_bulk_decision.delay(job_id=str(job.pk)))
    return job


def _bulk_scope(job: Job):
    qs = ModerationCase.objects.filter(workspace_id=job.workspace_id, pk__lte=job.params["max_id"])
    if "case_ids" in job.params:
        return qs.filter(pk__in=job.params["case_ids"])
    return CaseFilters.from_params(job.params["filters"]).apply(qs)


def run_bulk_decision(job_id: str) -> None:
    """Task body: chunks of cases in primary-key order, each in one transaction with its audit entries and the
    job's cursor, so a re-run after a crash resumes where the last committed chunk ended."""
    job = Job.objects.select_related("workspace", "created_by").get(pk=job_id)
    if job.is_finished:
        return
    actor = job.created_by
    membership = Membership.objects.filter(workspace=job.workspace, user=actor).first() if actor else None
    if membership is None or not role_allows(membership.role, MODERATE):
        jobs.fail(job.pk, "The person who started this bulk decision may no longer moderate this workspace.")
        return
    action = job.params["action"]
    assignee = get_user_model().objects.filter(pk=job.params.get("assignee_id")).first() \
        if action == AuditAction.ASSIGN else None
    jobs.mark_running(job.pk, message=f"Applying {action}.")
    scope = _bulk_scope(job)
    cursor, done = job.params.get("cursor", 0), job.done
    while True:
        if jobs.cancel_requested(job.pk):
            jobs.fail(job.pk, f"Cancelled after {done} cases; those stay decided.")
            return
        with transaction.atomic():
            chunk = list(scope.filter(pk__gt=cursor).order_by("pk").select_for_update(of=("self",))
                         .values("pk", "subject_type", "subject_id", "subject_status", "auto_action", "text",
                                 "final_text")[:BULK_CHUNK])
            if not chunk:
                break
            _decide_chunk(job, actor, action, assignee, chunk)
            cursor, done = chunk[-1]["pk"], done + len(chunk)
            Job.objects.filter(pk=job.pk).update(params={**job.params, "cursor": cursor}, done=done,
                                                 message=f"{action}: {done} of {job.total} cases.")
    jobs.succeed(job.pk, {"action": action, "decided": done}, message=f"{action}: {done} cases done.")


def _decide_chunk(job: Job, actor, action: str, assignee, chunk: list[dict[str, Any]]) -> None:
    now = timezone.now()
    note = job.params.get("note", "")
    ids = [row["pk"] for row in chunk]
    entries, changes = [], defaultdict(list)
    if action == AuditAction.ASSIGN:
        ModerationCase.objects.filter(pk__in=ids).update(assigned_to=assignee, updated_at=now)
        assigned = f"Assigned to {assignee.get_username()}." if assignee else "Unassigned."
        for row in chunk:
            entries.append(AuditEntry(workspace_id=job.workspace_id, case_id=row["pk"], actor=actor,
                                      actor_name=_actor_name(actor), action=action, job=job,
                                      before_status=row["subject_status"], after_status=row["subject_status"],
                                      note=f"{assigned} {note}".strip()))
        AuditEntry.objects.bulk_create(entries)
        return
    targets: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in chunk:
        case_status, subject_status = _decision_target(action, row["auto_action"])
        targets[case_status, subject_status].append(row["pk"])
        text = row["final_text"] or row["text"]
        entries.append(AuditEntry(workspace_id=job.workspace_id, case_id=row["pk"], actor=actor,
                                  actor_name=_actor_name(actor), action=action, job=job,
                                  before_status=row["subject_status"], after_status=subject_status,
                                  before_text=text, after_text=text, note=note))
        changes[row["subject_type"]].append({"subject_id": row["subject_id"], "status": subject_status,
                                             "text": None, "case_id": row["pk"]})
    decided = ({"decision": "", "decided_by": None, "decided_at": None, "assigned_to": None}
               if action == AuditAction.SEND_BACK else {"decision": action, "decided_by": actor, "decided_at": now})
    for (case_status, subject_status), case_ids in targets.items():
        ModerationCase.objects.filter(pk__in=case_ids).update(status=case_status, subject_status=subject_status,
                                                              updated_at=now, **decided)
    AuditEntry.objects.bulk_create(entries)
    for subject_type, subject_changes in changes.items():
        _apply_to_subjects(job.workspace_id, subject_type, subject_changes)


# --- policy ----------------------------------------------------------------------------------------------


def ensure_policy(workspace: Workspace) -> ModerationPolicy:
    policy, created = ModerationPolicy.objects.get_or_create(workspace=workspace)
    if created or not policy.rules.exists():
        PolicyRule.objects.bulk_create([PolicyRule(policy=policy, category=c, threshold=t, action=a)
                                        for c, (t, a) in DEFAULT_RULES.items()], ignore_conflicts=True)
    return policy


def update_policy(ctx: WorkspaceContext, *, rules: dict[str, dict[str, Any]] | None = None,
                  exclude_pending_from_analysis: bool | None = None, use_llm_judge: bool | None = None
                  ) -> PolicySnapshot:
    """Owners change thresholds and actions; new verdicts use them (past verdicts stay as they were)."""
    if not ctx.can(MANAGE):
        raise PermissionDenied(f"Your role ({ctx.role}) cannot change the moderation policy; ask an owner.")
    for category, rule in (rules or {}).items():
        if category not in Category.values:
            raise ModerationError(f"Unknown category {category!r}; choose from {', '.join(Category.values)}.")
        if rule.get("threshold") not in (1, 2, 3):
            raise ModerationError(f"The threshold for {category} must be a severity of 1, 2 or 3.")
        if rule.get("action") not in Action.values:
            raise ModerationError(f"The action for {category} must be one of {', '.join(Action.values)}.")
    with transaction.atomic():
        policy = ensure_policy(ctx.workspace)
        for category, rule in (rules or {}).items():
            PolicyRule.objects.update_or_create(policy=policy, category=category,
                                                defaults={"threshold": rule["threshold"], "action": rule["action"]})
        if exclude_pending_from_analysis is not None:
            policy.exclude_pending_from_analysis = exclude_pending_from_analysis
        if use_llm_judge is not None:
            policy.use_llm_judge = use_llm_judge
        policy.save()
    return selectors.policy_snapshot(ctx.workspace)


def explain_status(status: str, categories: list[str], rationale: str, span: str = "", note: str = "") -> str:
    """Why moderation did not (yet) approve a text, in words its author can act on ("" when approved).
    Shared by every app that shows moderation results next to generated text (copy, replies)."""
    from .detectors import CATEGORY_LABELS

    if status == ModerationStatus.APPROVED:
        return ""
    labels = ", ".join(CATEGORY_LABELS.get(c, c) for c in categories)
    detail = "; ".join(part for part in (labels, rationale.strip(), f"“{span.strip()}”" if span.strip() else "",
                                        note.strip()) if part)
    lead = {ModerationStatus.PENDING: "Waiting for a moderator", ModerationStatus.HIDDEN: "Held by moderation",
            ModerationStatus.REJECTED: "Rejected by moderation"}.get(status, "Not approved")
    return f"{lead}: {detail}" if detail else f"{lead}."
