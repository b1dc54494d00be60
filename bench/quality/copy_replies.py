"""Copy and replies keep their contract: the requested language, no placeholders, no unsupported factual claim
left unflagged, no customer's voice passed off as brand copy.

Dev sets (hand-written, docs/DATA.md): `copy_briefs.jsonl` (briefs in en and zh with a brand voice, the facts
the brand allows and customer texts), `reply_cases.jsonl` (customer texts in en and zh with a reply policy and
knowledge snippets) and `contract_outputs.jsonl` (generated-style variants and drafts, each labelled with the
violations it contains).

- Without the LLM: the checks the pipeline stores (`copy.services.claims_for`, `replies.services.flags_for`,
  the shared `copy.contract`) run on the labelled outputs; per violation kind, detection precision and recall,
  and `missed_per_100`: labelled violations the checks did not catch, per 100 outputs.
- With the LLM: every brief (2 variants) and every reply case goes through the real generation
  (`copy.services.generate` with its re-asks, then `claims_for`; `replies.services.generate`) and what would be
  stored is checked again: `violations_per_100` counts kept items in the wrong language, with a placeholder, or
  with an unsupported claim or a customer's voice that carries no flag (target 0). `failed_per_100`: items
  the pipeline failed with a sentence instead (the honest outcome for a model that cannot do it).
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .common import QualityContext, load_jsonl, ratio

WRONG_LANGUAGE, PLACEHOLDER, UNSUPPORTED, CUSTOMER_VOICE = ("wrong_language", "placeholder", "unsupported_claim",
                                                             "customer_voice")
KINDS = (WRONG_LANGUAGE, PLACEHOLDER, UNSUPPORTED, CUSTOMER_VOICE)
COPY_VARIANTS = 2
GENERATION_CONCURRENCY = 4


def evaluate(ctx: QualityContext) -> dict[str, Any]:
    briefs = {row["id"]: row for row in load_jsonl("copy_briefs.jsonl")}
    cases = {row["id"]: row for row in load_jsonl("reply_cases.jsonl")}
    result: dict[str, Any] = {"briefs": len(briefs), "reply_cases": len(cases)}
    result["detection"] = _detection(ctx.sample(load_jsonl("contract_outputs.jsonl")), briefs, cases)
    if ctx.use_llm:
        started = time.monotonic()
        result["generated"] = _generated(ctx, list(briefs.values()), list(cases.values()))
        result["generated"]["seconds"] = round(time.monotonic() - started, 1)
    return result


# --- the pieces of each app the checks need, built from a dev-set row (no database) -------------------------

def _brief(row: dict):
    from apps.copy.models import DEFAULT_LOCALE
    from apps.copy.services import Brief

    b = row["brief"]
    return Brief(product=b["product"], audience=b["audience"], goal=b["goal"], channel=b["channel"],
                 tone=b.get("tone", ""), length=b.get("length", "short"), key_message=" ".join(row["allowed_facts"]),
                 variants=COPY_VARIANTS, language=row["language"], locale=DEFAULT_LOCALE[row["language"]])


def _voice(row: dict) -> dict:
    return {"formality": 3, "playfulness": 3, "enthusiasm": 3, "reading_level": "general", "words_to_use": [],
            "words_to_avoid": [], "samples": [], **row["brand_voice"]}


def _grounding(row: dict) -> dict:
    return {"quotes": [{"id": i, "text": text} for i, text in enumerate(row["customer_texts"], 1)], "themes": []}


def _reply_parts(row: dict, pk: int):
    from apps.corpus.models import CustomerText
    from apps.replies.models import KnowledgeSnippet, ReplyPolicy

    text = CustomerText(pk=pk, text=row["customer_text"], language=row["language"], rating=row.get("rating"),
                        source="review", product="")
    policy = ReplyPolicy(policy=row["policy"]["policy"], tone=row["policy"]["tone"],
                         sign_off=row["policy"]["sign_off"], allowed_promises=row["policy"]["allowed_promises"])
    snippets = [KnowledgeSnippet(pk=i, title=k["title"], body=k["body"]) for i, k in enumerate(row["knowledge"], 1)]
    return text, policy, snippets


def copy_violations(text: str, claims: list[dict], language: str) -> set[str]:
    """The contract violations the checks find in a copy variant: its language, and the kinds of its claims."""
    from apps.copy import contract

    kinds = {c["kind"] for c in claims}
    found = {WRONG_LANGUAGE} if contract.language_problem(text, language) else set()
    if contract.PLACEHOLDER in kinds:
        found.add(PLACEHOLDER)
    if kinds & set(contract.FACT_KINDS):
        found.add(UNSUPPORTED)
    if kinds & {contract.CUSTOMER_VOICE, contract.VERBATIM}:
        found.add(CUSTOMER_VOICE)
    return found


def reply_violations(body: str, flags: list[dict], language: str) -> set[str]:
    """The contract violations the checks find in a reply draft: its language, and its flags. Any flag on a fact
    or an offer (an invented number, a refund the policy does not allow, an unsupported warranty) is an
    unsupported claim."""
    from apps.copy import contract

    kinds = {f["kind"] for f in flags}
    found = {WRONG_LANGUAGE} if contract.language_problem(body, language) else set()
    if contract.PLACEHOLDER in kinds:
        found.add(PLACEHOLDER)
    if kinds - {"banned_word", "language", contract.PLACEHOLDER}:
        found.add(UNSUPPORTED)
    return found


def _in_text(text: str, language: str, support, customers: list[str]) -> set[str]:
    """Every violation present in a text, whatever was flagged."""
    from apps.copy import contract

    found = {WRONG_LANGUAGE} if contract.language_problem(text, language) else set()
    if contract.find_placeholders(text):
        found.add(PLACEHOLDER)
    if contract.find_unsupported_facts(text, support):
        found.add(UNSUPPORTED)
    if customers and contract.find_customer_voice(text, customers):
        found.add(CUSTOMER_VOICE)
    return found


def _copy_claims(text: str, brief, voice: dict, grounding: dict) -> list[dict]:
    from apps.copy.services import claims_for

    parts = text.split("\n\n")
    headline, cta = parts[0], parts[-1] if len(parts) > 2 else ""
    body = "\n\n".join(parts[1:-1]) if len(parts) > 2 else "\n\n".join(parts[1:])
    return claims_for(headline, body, cta, grounding, brief, voice)


# --- without the LLM: detection on hand-labelled outputs ---------------------------------------------------------

def _detection(outputs: list[dict], briefs: dict, cases: dict) -> dict[str, Any]:
    from apps.replies import services as replies

    counts = {kind: Counter() for kind in KINDS}
    missed = 0
    for i, row in enumerate(outputs, 1):
        if row["app"] == "copy":
            brief_row = briefs[row["case"]]
            brief = _brief(brief_row)
            claims = _copy_claims(row["text"], brief, _voice(brief_row), _grounding(brief_row))
            found = copy_violations(row["text"], claims, brief.language)
        else:
            case = cases[row["case"]]
            text, policy, snippets = _reply_parts(case, i)
            allowed = replies.allowed_for(text, policy, snippets, {"words_to_avoid": []})
            flags = replies.flags_for(row["text"], allowed, case["language"])
            found = reply_violations(row["text"], flags, case["language"])
        labelled = set(row["violations"])
        for kind in KINDS:
            counts[kind][("tp" if kind in labelled else "fp") if kind in found else
                         ("fn" if kind in labelled else "tn")] += 1
        missed += len(labelled - found)
    report: dict[str, Any] = {"outputs": len(outputs), "missed_per_100": round(100 * missed / max(1, len(outputs)), 2)}
    for kind, c in counts.items():
        report[kind] = {"labelled": c["tp"] + c["fn"], "precision": ratio(c["tp"], c["tp"] + c["fp"]),
                        "recall": ratio(c["tp"], c["tp"] + c["fn"])}
    return report


# --- with the LLM: the real generation, then what would reach a user ---------------------------------------------

def _generated(ctx: QualityContext, briefs: list[dict], cases: list[dict]) -> dict[str, Any]:
    briefs, cases = (ctx.sample(briefs, 6), ctx.sample(cases, 8)) if ctx.fast else (briefs, cases)
    if ctx.language:
        briefs = [b for b in briefs if b["language"] == ctx.language]
        cases = [c for c in cases if c["language"] == ctx.language]
    jobs = [(_one_brief, row) for row in briefs] + [(_one_case, (i, row)) for i, row in enumerate(cases, 1)]
    # Briefs and cases go to the model concurrently, as a workspace's jobs do: the server batches them, which
    # on a CPU server is most of its throughput. Each outcome is independent, so the order does not matter.
    with ThreadPoolExecutor(max_workers=GENERATION_CONCURRENCY) as pool:
        outcomes = list(pool.map(lambda job: _closing_connection(job[0], job[1]), jobs))
    total = _Outcome()
    for outcome in outcomes:
        total.items += outcome.items
        total.failed += outcome.failed
        total.flagged += outcome.flagged
        total.unflagged.update(outcome.unflagged)
        total.failures += outcome.failures
        total.examples += outcome.examples
        total.errored += outcome.errored
    per_100 = round(100 * sum(total.unflagged.values()) / max(1, total.items), 2)
    return {"items": total.items, "violations_per_100": per_100, "unflagged": dict(total.unflagged),
            "failed_per_100": round(100 * total.failed / max(1, total.items), 2), "flagged_items": total.flagged,
            "failure_notes": total.failures[:10], "unflagged_examples": total.examples[:10],
            "errored": len(total.errored), "errors": total.errored[:5]}


@dataclass
class _Outcome:
    items: int = 0
    failed: int = 0
    flagged: int = 0
    unflagged: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    examples: list[dict] = field(default_factory=list)  # the unflagged violations, to read
    errored: list[str] = field(default_factory=list)  # briefs or cases lost to a database error, not measured

    def count(self, case: str, missed: set[str], text: str) -> None:
        self.unflagged.update(missed)
        if missed:
            self.examples.append({"case": case, "violations": sorted(missed), "text": text[:600]})


def _closing_connection(evaluate_one, arg) -> _Outcome:
    """One brief or case; a database error (a connection that timed out on a loaded machine) loses that item,
    counted in `errored`, not the other items' figures (a run of 850 s lost them all once)."""
    from django.db import DatabaseError, connection

    try:
        return evaluate_one(arg)
    except DatabaseError as exc:
        return _Outcome(errored=[f"{type(exc).__name__}: {str(exc)[:200]}"])
    finally:
        connection.close()  # each worker thread opened its own


def _one_brief(row: dict) -> _Outcome:
    from apps.copy import contract
    from apps.copy import services as copy

    out = _Outcome(items=COPY_VARIANTS)
    brief, voice, grounding = _brief(row), _voice(row), _grounding(row)
    slots = [(p, 7919 * p) for p in range(1, COPY_VARIANTS + 1)]
    generation = copy.generate(None, brief, voice, grounding, slots)
    out.failed = COPY_VARIANTS - len(generation.drafted)
    out.failures = [n for n in generation.notes if "failed" in n or "dropped" in n]
    for drafted in generation.drafted.values():
        d = drafted.draft
        text = copy.compose(d.headline, d.body, d.call_to_action)
        claims = copy.claims_for(d.headline, d.body, d.call_to_action, grounding, brief, voice)
        out.flagged += bool(claims)
        sources, quotes = copy.support_for(grounding, brief, voice)
        present = _in_text(text, brief.language, contract.support_from(sources), quotes)
        # a flagged claim reaches the user marked; the wrong language is never acceptable
        out.count(row["id"], present - (copy_violations(text, claims, brief.language) - {WRONG_LANGUAGE}), text)
    return out


def _one_case(numbered: tuple[int, dict]) -> _Outcome:
    from apps.replies import services as replies

    i, row = numbered
    out = _Outcome(items=1)
    text, policy, snippets = _reply_parts(row, 100000 + i)
    voice = {"formality": 3, "playfulness": 2, "enthusiasm": 3, "reading_level": "general", "words_to_use": [],
             "words_to_avoid": [], "tone": policy.tone}
    grounding = {"knowledge": [{"ref": f"snippet:{s.pk}", "title": s.title, "text": s.body} for s in snippets],
                 "similar_texts": [], "earlier_replies": []}
    slots = replies.slots_for(text, grounding, 1, 7919, policy, voice, snippets)
    generation = replies.generate(None, slots)
    out.failed = len(generation.failed)
    out.failures = [n for n in generation.notes if "no draft" in n]
    for drafted in generation.drafted.values():
        out.flagged += bool(drafted.flags)
        present = _in_text(drafted.body, row["language"], slots[0].allowed.support, [])
        out.count(row["id"], present - (reply_violations(drafted.body, drafted.flags, row["language"])
                                        - {WRONG_LANGUAGE}), drafted.body)
    return out
