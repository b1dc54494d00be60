"""Writes of moderation: the automatic pipeline (fast detectors, then the LLM judge for what they cannot
settle), people's decisions with their audit log, bulk decisions as a background job, and the policy.
One module per sub-domain, all re-exported here, so callers import `apps.moderation.services` as one:

    verdicts   Subject in, Verdict out; evidence turned into case fields (fast stage, judge, no judge)
    pipeline   the fast stage over subjects of one type; statuses written and announced
    judging    the LLM judge, in batches (the only module that asks the gateway)
    screening  customer texts: screening an import (or the backlog) as a job
    generated  moderating texts other apps generate; explain_status for their pages
    decisions  people's decisions on one case, undoing the last one, notes, assignment
    bulk       bulk decisions as a resumable job
    policy     the workspace's policy
    errors     ModerationError (400), CaseNotFound (404), UndoRefused (409)

Other apps moderate their own texts through two functions and never touch the models:

    moderate_generated(workspace, subject_type, subject_id, text) -> Verdict
    moderate_generated_many(workspace, subject_type, [(subject_id, text), ...]) -> list[Verdict]

Customer texts are moderated on import (receivers.py); their outcome is written to
CustomerText.moderation_status. Every change of a subject's status is announced by `subjects_moderated`.

Tests that replace a function (the gateway, a chunk step) patch the module that looks it up:
`services.judging.get_gateway`, `services.bulk._decide_chunk`; the package re-exports no private name and not
`get_gateway`, so a patch aimed at the package fails loudly instead of missing.
"""

from apps.llm.gateway import LLMUnavailable

from .bulk import BULK_ACTIONS, BULK_CHUNK, run_bulk_decision, start_bulk_decision
from .decisions import DECISIONS, UNDO_WINDOW, add_note, assign, decide, undo_last_decision, undo_refusal
from .errors import CaseNotFound, ModerationError, UndoRefused
from .generated import SUBJECT_TYPE, explain_status, moderate_generated, moderate_generated_many
from .judging import JUDGE_BATCH, JUDGE_MAX_CHARS, JUDGE_WINDOW, judge, judge_excerpt, judge_request, queue_judging
from .pipeline import VOCABULARY_SAMPLE, detector_context, insert_new_cases, screen_subjects
from .policy import ensure_policy, update_policy
from .screening import (
    SCREEN_CHUNK,
    judge_cases,
    refresh_screening_job,
    resend_screening,
    screen_texts,
    screening_summary,
    start_backlog_screening,
    start_import_screening,
)
from .verdicts import (
    CASE_STATUS_FOR,
    MAX_TEXT_CHARS,
    SUBJECT_STATUS_FOR,
    Subject,
    Verdict,
    fast_fields,
    judged_fields,
    locate_span,
    needs_judge,
    person_must_decide,
    unjudged_fields,
    verdict_of,
)

__all__ = [
    "BULK_ACTIONS", "BULK_CHUNK", "CASE_STATUS_FOR", "DECISIONS", "JUDGE_BATCH", "JUDGE_MAX_CHARS", "JUDGE_WINDOW",
    "MAX_TEXT_CHARS", "SCREEN_CHUNK", "SUBJECT_STATUS_FOR", "SUBJECT_TYPE", "UNDO_WINDOW",
    "VOCABULARY_SAMPLE", "CaseNotFound", "LLMUnavailable", "ModerationError", "Subject", "UndoRefused", "Verdict",
    "add_note", "assign", "decide", "detector_context", "ensure_policy", "explain_status", "fast_fields",
    "insert_new_cases", "judge", "judge_cases", "judge_excerpt", "judge_request", "judged_fields", "locate_span",
    "moderate_generated", "moderate_generated_many", "needs_judge", "person_must_decide", "queue_judging",
    "refresh_screening_job", "resend_screening", "run_bulk_decision", "screen_subjects", "screen_texts",
    "screening_summary", "start_backlog_screening", "start_bulk_decision", "start_import_screening",
    "undo_last_decision", "undo_refusal", "unjudged_fields", "update_policy", "verdict_of",
]
