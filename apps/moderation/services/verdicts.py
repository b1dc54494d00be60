"""What moderation hands out (Subject in, Verdict out) and how evidence becomes a verdict: the case fields
after the fast stage, after the LLM judge, or when the judge could not decide."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apps.corpus.models import ModerationStatus

from .. import detectors
from ..detectors import FastResult, Signal
from ..models import Action, CaseStatus, ModerationCase, Stage
from ..schemas import JudgeVerdict
from ..selectors import PolicySnapshot

MAX_TEXT_CHARS = 20_000


CASE_STATUS_FOR = {Action.ALLOW: CaseStatus.APPROVED, Action.QUEUE: CaseStatus.PENDING,
                   Action.HIDE: CaseStatus.PENDING}
SUBJECT_STATUS_FOR = {Action.ALLOW: ModerationStatus.APPROVED, Action.QUEUE: ModerationStatus.PENDING,
                      Action.HIDE: ModerationStatus.HIDDEN}


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
