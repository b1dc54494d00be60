"""Asking the gateway for variants, all at once, each with its own seed. A variant that uses a word the brand
voice avoids is asked again with another seed, up to GENERATION_ATTEMPTS times, then dropped with a
note; citations of texts the model was not shown are discarded; a broken contract (the wrong language,
placeholders) is asked again once, then the variant fails. No database: the quality harness calls
`generate` too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from apps.accounts.models import Workspace
from apps.corpus.language import detect_language
from apps.corpus.tokens import has_cjk
from apps.llm.gateway import LLMCancelled, LLMRequest, LLMResult, get_gateway, run_in_rounds

from .. import checks, contract
from ..models import Length
from ..schemas import DraftVariant, DraftVariantInChinese
from .brief import Brief

VARIANTS_PROMPT, VARIANTS_VERSION = "copy/variants", 2
GENERATION_ATTEMPTS = 3  # per variant, against banned words, foreign citations and a customer's voice
CONTRACT_ATTEMPTS = 2  # the wrong language or placeholders: asked again once, then the variant fails
TEMPERATURE = 0.8  # variants should differ; each has its own seed, so a run is reproducible
MAX_TOKENS = {Length.SHORT: 300, Length.MEDIUM: 450, Length.LONG: 700}


@dataclass
class Drafted:
    draft: DraftVariant
    sources: list[int]
    sources_inferred: bool
    language: str
    seed: int
    attempts: int
    model: str


@dataclass
class Generation:
    drafted: dict[int, Drafted] = field(default_factory=dict)  # by position
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False


def language_of(text: str, wanted: str) -> str:
    """The requested language when the script fits it; otherwise what the text is written in."""
    if has_cjk(text) == (wanted == "zh"):
        return wanted
    return detect_language(text) or ("zh" if has_cjk(text) else "en")


def compose(headline: str, body: str, call_to_action: str) -> str:
    return "\n\n".join(part for part in (headline, body, call_to_action) if part.strip())


def _clean(draft: DraftVariant) -> DraftVariant:
    return DraftVariant(headline=draft.headline.strip(), body=draft.body.strip(),
                        call_to_action=draft.call_to_action.strip(), sources=draft.sources)


def generate(workspace: Workspace, brief: Brief, voice: dict, grounding: dict, slots: list[tuple[int, int]],
             should_cancel: Callable[[], bool] | None = None,
             on_progress: Callable[[int], None] | None = None) -> Generation:
    """Draft one variant per (position, seed) slot, all at once. Banned words, citations of texts not shown and
    a customer's voice send a slot back with the next seed; banned words after the last attempt drop it. A
    broken contract (the wrong language, placeholders) is asked again once, then the variant fails with a
    sentence the user can act on: it is never kept."""
    quotes = grounding.get("quotes", [])
    shown = [q["id"] for q in quotes]
    variables = {"brief": brief.as_prompt(), "brand_voice": voice,
                 "themes": [{"kind": t["kind"], "title": t["title"], "detail": t["detail"]}
                            for t in grounding.get("themes", [])],
                 "quotes": [{"id": q["id"], "text": q["text"]} for q in quotes]}
    banned_words = voice.get("words_to_avoid", [])
    quote_texts = [q["text"] for q in quotes]
    result = Generation()
    fallback: dict[int, Drafted] = {}  # usable drafts that cited nothing valid or spoke as a customer
    problems: dict[int, str] = {}
    broken: dict[int, int] = {}  # answers per slot that broke the contract
    failed: dict[int, str] = {}
    # Chinese variants whose answer came in another language: asked again under a schema whose every field must
    # open with a Chinese character (the small CPU model wrote English for 6 of 44 Chinese variants, and asking
    # again with another seed rarely changed that).
    in_chinese: set[int] = set()

    def request_for(slot: tuple[int, int], attempt: int) -> LLMRequest:
        schema = DraftVariantInChinese if slot[0] in in_chinese else DraftVariant
        return LLMRequest(VARIANTS_PROMPT, VARIANTS_VERSION, variables, schema,
                          max_tokens=MAX_TOKENS[brief.length], temperature=TEMPERATURE, seed=slot[1] + attempt)

    def rejects(slot: tuple[int, int], outcome, attempt: int) -> bool:
        position, seed = slot
        if isinstance(outcome, LLMCancelled):
            result.cancelled = True
            return False
        if not isinstance(outcome, LLMResult):
            problems[position] = str(outcome)
            return True
        draft = _clean(outcome.output)
        text = compose(draft.headline, draft.body, draft.call_to_action)
        broken_by = contract_problem(text, brief.language)
        if broken_by:
            broken[position] = broken.get(position, 0) + 1
            if brief.language == "zh" and contract.language_problem(text, brief.language):
                in_chinese.add(position)
            if broken[position] >= CONTRACT_ATTEMPTS:
                if position in fallback:  # an earlier answer kept the contract: keep that one
                    result.drafted[position] = fallback.pop(position)
                else:
                    failed[position] = broken_by
                return False
            problems[position] = broken_by
            return True
        banned = checks.find_banned(text, banned_words)
        if banned or not text:
            problems[position] = (f"it kept using words the brand voice avoids ({', '.join(banned)})" if banned
                                  else "the model returned empty copy")
            return True
        sources = checks.valid_sources(draft.sources, shown)
        language = language_of(text, brief.language)
        drafted = Drafted(draft, sources, False, language, seed + attempt, attempt + 1, outcome.model)
        as_customer = contract.find_customer_voice(text, quote_texts)
        if (not sources or as_customer) and attempt + 1 < GENERATION_ATTEMPTS:
            fallback.setdefault(position, drafted)
            return True
        result.drafted[position] = drafted
        return False

    rounds = run_in_rounds(get_gateway(), slots, request_for, rejects, attempts=GENERATION_ATTEMPTS,
                           workspace=workspace, feature="copy", should_cancel=should_cancel,
                           after_round=lambda _: on_progress(len(result.drafted)) if on_progress else None)
    if rounds.cancelled:
        return result
    for position, _ in rounds.rejected:
        if position in fallback:
            result.drafted[position] = fallback[position]
        else:
            result.notes.append(f"Variant {position} was dropped after {GENERATION_ATTEMPTS} attempts: "
                                f"{problems.get(position, 'no usable draft')}.")
    for position, sentence in sorted(failed.items()):
        result.notes.append(f"Variant {position} failed: {sentence}")
    for position, drafted in result.drafted.items():
        if not drafted.sources:
            text = compose(drafted.draft.headline, drafted.draft.body, drafted.draft.call_to_action)
            drafted.sources = checks.infer_sources(text, [(q["id"], q["text"]) for q in quotes])
            drafted.sources_inferred = bool(drafted.sources)
            result.notes.append(f"Variant {position} cited no quote it was shown; "
                                + ("its sources were matched by shared words." if drafted.sources
                                   else "no quote shares its words."))
    return result


def contract_problem(text: str, language: str) -> str | None:
    """Why a generated text cannot be kept at all (a sentence for the user), or None."""
    wrong_language = contract.language_problem(text, language)
    if wrong_language:
        return wrong_language
    placeholders = list(dict.fromkeys(f.text for f in contract.find_placeholders(text)))
    if placeholders:
        return (f"The model left placeholders ({', '.join(placeholders[:3])}) instead of real words; try again "
                "or use a larger model.")
    return None
