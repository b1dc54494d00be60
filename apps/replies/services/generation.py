"""Asking the gateway for drafts. Every draft of a chunk is asked at once; the policy checks (checks.py)
run on every answer: a draft that states facts it cannot rely on, offers what the policy does not allow,
leaves a placeholder or uses a word the brand voice avoids is asked again with its problems listed, up to
DRAFT_ATTEMPTS times; then the best answer is kept with its flags. An answer in the wrong language is never
kept: asked again once, then the text fails with a sentence saying so. No database: the quality harness
calls `slots_for` and `generate` too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from apps.accounts.models import Workspace
from apps.copy import contract
from apps.corpus.models import CustomerText
from apps.corpus.tokens import has_cjk, normalise
from apps.llm.gateway import LLMCancelled, LLMRequest, LLMResult, get_gateway, run_in_rounds
from apps.translation.services.languages import language_name, reply_language

from .. import checks
from ..models import KnowledgeSnippet, ReplyPolicy
from ..schemas import ReplyOutput
from .grounding import allowed_for, ground

REPLY_PROMPT, REPLY_VERSION = "replies/reply", 2
DRAFT_ATTEMPTS = 3  # per draft, against policy flags, placeholders and banned words
LANGUAGE_ATTEMPTS = 2  # the wrong language is asked again once; then the text fails (never kept in it)
CUSTOMER_CHARS = 600  # a longer text is cut (with "…"): its first part carries the points to answer
POLICY_CHARS = 800
REPLY_MAX_TOKENS = 400
FIRST_TEMPERATURE = 0.4  # drafts should read naturally; each has its own seed, so a job is reproducible
RETRY_TEMPERATURE = 0.8
NO_POLICY = ("No reply policy has been written yet: offer no refunds, compensation, replacements, guarantees or "
             "deadlines. Thank, apologise where it fits, and say the team will look into it.")


@dataclass
class Slot:
    text: CustomerText
    variant: int
    seed: int
    variables: dict
    allowed: checks.Allowed
    language: str
    sign_off: str
    shown: list[str]
    material: list[tuple[str, str]]

    @property
    def key(self) -> tuple[int, int]:
        return (self.text.pk, self.variant)


@dataclass
class Drafted:
    body: str
    points: list[str]
    refs: list[str]
    flags: list[dict]
    language: str
    seed: int
    attempts: int
    model: str

    @property
    def problems(self) -> int:
        return len(self.flags)


@dataclass
class Generation:
    drafted: dict[tuple[int, int], Drafted] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # text ids that got no draft at all
    cancelled: bool = False


def with_sign_off(body: str, sign_off: str, language: str) -> str:
    """The policy's sign-off ends every reply in its script; in another language the model translates it."""
    sign_off = sign_off.strip()
    if not body or not sign_off or normalise(sign_off) in normalise(body):
        return body
    if has_cjk(sign_off) != (language == "zh"):
        return body
    return f"{body.rstrip()}\n\n{sign_off}"


def flags_for(body: str, allowed: checks.Allowed, language: str) -> list[dict]:
    flags = [f.as_dict() for f in checks.check_draft(body, allowed)]
    wrong_language = checks.language_flag(body, language)
    if wrong_language is not None:
        flags.append(wrong_language.as_dict())
    return flags


def _assess(slot: Slot, output: ReplyOutput, attempt: int, model: str) -> Drafted:
    body = with_sign_off(output.reply.strip(), slot.sign_off, slot.language)
    flags = flags_for(body, slot.allowed, slot.language)
    refs = checks.valid_refs(output.sources, slot.shown) or checks.infer_refs(body, slot.material)
    language = slot.language if checks.language_matches(body, slot.language) else (checks.written_in(body) or "")
    points = [p.strip() for p in output.points if p.strip()][:8]
    return Drafted(body, points, refs, flags, language, slot.seed + attempt, attempt + 1, model)


def _feedback(drafted: Drafted) -> list[str]:
    return [f"{f['kind']}: “{f['text']}” — {f['reason']}" if f["text"] else f"{f['kind']}: {f['reason']}"
            for f in drafted.flags]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def prepare_slots(workspace: Workspace, texts: list[CustomerText], variants: int, seed: int, policy: ReplyPolicy,
                  voice: dict, snippets: list[KnowledgeSnippet]) -> list[Slot]:
    return [slot for text in texts
            for slot in slots_for(text, ground(workspace, text, snippets), variants, seed, policy, voice, snippets)]


def slots_for(text: CustomerText, grounding: dict, variants: int, seed: int, policy: ReplyPolicy, voice: dict,
              snippets: list[KnowledgeSnippet]) -> list[Slot]:
    """The drafts to ask for one text, given its grounding (no database: the quality harness calls it too)."""
    policy_data = {"rules": policy.policy[:POLICY_CHARS] or NO_POLICY, "tone": policy.tone,
                   "sign_off": policy.sign_off, "allowed_promises": list(policy.allowed_promises or [])}
    language = reply_language(text)
    shown = [item["ref"] for part in grounding.values() for item in part]
    material = [(k["ref"], f"{k['title']} {k['text']}") for k in grounding["knowledge"]] + \
               [(t["ref"], t["text"]) for t in grounding["similar_texts"]] + \
               [(r["ref"], r["reply"]) for r in grounding["earlier_replies"]]
    variables = {"policy": policy_data, "brand_voice": voice, **grounding, "reply_language": language_name(language),
                 "customer": {"text": _cut(text.text, CUSTOMER_CHARS), "source": text.source, "rating": text.rating,
                              "product": text.product}}
    allowed = allowed_for(text, policy, snippets, voice)
    return [Slot(text, variant, seed + 1000 * variant, variables, allowed, language, policy.sign_off, shown, material)
            for variant in range(1, variants + 1)]


def generate(workspace: Workspace, slots: list[Slot],
             should_cancel: Callable[[], bool] | None = None) -> Generation:
    """Draft every slot at once; slots whose answer has flags are asked again (with their problems listed and
    the next seed), up to DRAFT_ATTEMPTS times. The answer with the fewest flags is kept."""
    result = Generation()
    problems: dict[tuple[int, int], list[str]] = {}
    errors: dict[tuple[int, int], str] = {}
    tries: dict[tuple[int, int], int] = defaultdict(int)
    wrong: dict[tuple[int, int], int] = defaultdict(int)  # answers in the wrong language

    def request_for(slot: Slot, attempt: int) -> LLMRequest:
        variables = {**slot.variables, "previous_problems": problems.get(slot.key, [])}
        return LLMRequest(REPLY_PROMPT, REPLY_VERSION, variables, ReplyOutput, max_tokens=REPLY_MAX_TOKENS,
                          seed=slot.seed + attempt,
                          temperature=FIRST_TEMPERATURE if attempt == 0 else RETRY_TEMPERATURE)

    def rejects(slot: Slot, outcome, attempt: int) -> bool:
        if isinstance(outcome, LLMCancelled):
            result.cancelled = True
            return False
        tries[slot.key] += 1
        if not isinstance(outcome, LLMResult):
            errors[slot.key] = str(outcome)
            return True
        drafted = _assess(slot, outcome.output, attempt, outcome.model)
        if not drafted.body:
            errors[slot.key] = "the model returned an empty reply"
            return True
        wrong_language = contract.language_problem(drafted.body, slot.language)
        if wrong_language:  # never kept: asked again once, then the text fails with this sentence
            errors[slot.key] = wrong_language
            wrong[slot.key] += 1
            problems[slot.key] = [f"{checks.LANGUAGE}: {wrong_language}"]
            return wrong[slot.key] < LANGUAGE_ATTEMPTS
        best = result.drafted.get(slot.key)
        if best is None or drafted.problems < best.problems:
            result.drafted[slot.key] = drafted
        if drafted.flags:
            problems[slot.key] = _feedback(drafted)
            return True
        return False

    if run_in_rounds(get_gateway(), slots, request_for, rejects, attempts=DRAFT_ATTEMPTS, workspace=workspace,
                     feature="replies", should_cancel=should_cancel).cancelled:
        return result
    for slot in slots:
        drafted = result.drafted.get(slot.key)
        if drafted is not None:
            drafted.attempts = tries[slot.key]  # all it took, though an earlier answer may be the one kept
        if drafted is None:
            result.notes.append(f"Text #{slot.text.pk}: no draft after {tries[slot.key]} attempts. "
                                f"{_sentence(errors.get(slot.key, 'no usable answer'))}")
            if slot.text.pk not in result.failed:
                result.failed.append(slot.text.pk)
        elif drafted.flags:
            kinds = ", ".join(dict.fromkeys(f["kind"].replace("_", " ") for f in drafted.flags))
            result.notes.append(f"Text #{slot.text.pk}: draft {slot.variant} kept with policy flags ({kinds}) after "
                                f"{drafted.attempts} attempts; a person must edit it before approving.")
    return result


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]) + ("" if text.endswith((".", "!", "?")) else ".")
