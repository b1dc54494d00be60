"""The LLM stage: cases the fast stage could not settle are judged in batches (`judge_cases` tasks)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Workspace
from apps.jobs import services as jobs
from apps.llm.gateway import LLMBudgetExceeded, LLMError, LLMRequest, LLMResult, LLMUnavailable, get_gateway

from .. import selectors
from ..models import CaseStatus, ModerationCase
from ..schemas import JudgeVerdict
from .pipeline import _apply_to_subjects, _change
from .verdicts import judged_fields, unjudged_fields

logger = logging.getLogger(__name__)


JUDGE_BATCH = 32  # cases per LLM task: one `run_many` keeps them all in flight


JUDGE_MAX_CHARS = 1500  # what the judge sees of a long text: windows around what the detectors flagged
JUDGE_WINDOW = 300  # characters around each flagged span


def queue_judging(case_ids: list[int], job_id: str | None) -> int:
    """One LLM task per batch of cases, queued once the cases are committed."""
    from ..tasks import judge_cases

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
