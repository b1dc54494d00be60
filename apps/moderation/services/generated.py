"""Generated text (copy variants, reply drafts, …): moderated synchronously by the apps that write it, and
why a text is not (yet) approved, in words its author can act on."""

from __future__ import annotations

import re
from collections.abc import Sequence

from apps.accounts.models import Workspace
from apps.corpus.models import ModerationStatus

from ..models import CUSTOMER_TEXT, CaseStatus, ModerationCase
from .judging import judge
from .pipeline import screen_subjects
from .verdicts import MAX_TEXT_CHARS, Subject, Verdict, verdict_of

SUBJECT_TYPE = re.compile(r"[a-z][a-z_]{0,29}")


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


def explain_status(status: str, categories: list[str], rationale: str, span: str = "", note: str = "") -> str:
    """Why moderation did not (yet) approve a text, in words its author can act on ("" when approved).
    Shared by every app that shows moderation results next to generated text (copy, replies)."""
    from ..detectors import CATEGORY_LABELS

    if status == ModerationStatus.APPROVED:
        return ""
    labels = ", ".join(CATEGORY_LABELS.get(c, c) for c in categories)
    detail = "; ".join(part for part in (labels, rationale.strip(), f"“{span.strip()}”" if span.strip() else "",
                                        note.strip()) if part)
    lead = {ModerationStatus.PENDING: "Waiting for a moderator", ModerationStatus.HIDDEN: "Held by moderation",
            ModerationStatus.REJECTED: "Rejected by moderation"}.get(status, "Not approved")
    return f"{lead}: {detail}" if detail else f"{lead}."
