"""Writes of the copy studio: brand voice, copy generation (a job on the `llm` queue), variant edits and
approval, and product ideas drawn from the latest analysis.

A generation is one task for all variants: the quotes and themes relevant to the brief are retrieved once
(pgvector search over texts moderation cleared, and the latest analysis), then every variant is asked of
the gateway at once with its own seed. A variant that uses a word the brand voice avoids is asked again
with another seed, up to GENERATION_ATTEMPTS times, then dropped with a note; citations of texts the model
was not shown are discarded. Every kept, edited or regenerated variant is handed to moderation
(`moderate_variant`), and only a variant moderation approved can be approved by a person.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import ANALYZE, MANAGE
from apps.core.errors import Conflict, InvalidRequest, NotFound
from apps.corpus.language import detect_language
from apps.corpus.models import CustomerText, ModerationStatus
from apps.insights import evidence  # does a cited text support the idea that cites it
from apps.insights import selectors as insights
from apps.insights.models import InsightKind, TextAnalysis
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.llm.gateway import (
    LLMCancelled,
    LLMError,
    LLMRequest,
    LLMResult,
    LLMUnavailable,
    get_gateway,
    run_in_rounds,
)
from apps.moderation.selectors import analysable_texts
from apps.moderation.services import explain_status
from apps.search.selectors import semantic_search

from . import checks, contract
from .models import (
    DEFAULT_LOCALE,
    LOCALES,
    BrandVoice,
    Channel,
    CopyRequest,
    CopyStatus,
    CopyVariant,
    IdeaKind,
    IdeaSet,
    Length,
    ProductIdea,
    ReadingLevel,
)
from .schemas import DraftVariant, IdeaList

logger = logging.getLogger(__name__)

VARIANTS_PROMPT, VARIANTS_VERSION = "copy/variants", 2
IDEAS_PROMPT, IDEAS_VERSION = "copy/ideas", 2
SUBJECT_TYPE = "copy_variant"  # what moderation calls a variant
MAX_VARIANTS = 6
GENERATION_ATTEMPTS = 3  # per variant, against banned words, foreign citations and a customer's voice
CONTRACT_ATTEMPTS = 2  # the wrong language or placeholders: asked again once, then the variant fails
IDEA_ATTEMPTS = 3
QUOTES_IN_PROMPT = 8
QUOTE_CHARS = 240
THEMES_IN_PROMPT = 4
SEARCH_K = 32
TEMPERATURE = 0.8  # variants should differ; each has its own seed, so a run is reproducible
MAX_TOKENS = {Length.SHORT: 300, Length.MEDIUM: 450, Length.LONG: 700}
IDEA_FINDINGS = 6
IDEA_QUOTES = 8
BRIEF_LIMITS = {"product": 200, "audience": 300, "goal": 300, "tone": 100, "key_message": 500}
VOICE_LIMITS = {"words": 50, "word_chars": 40, "samples": 3, "sample_chars": 600}
HISTORY_KEPT = 10


class CopyError(InvalidRequest):
    """Something the user asked for that cannot be done; the message says what to do instead."""


class CopyConflict(CopyError, Conflict):
    """Refused because of where things stand (moderation not done yet, a job still running)."""


# --- briefs and brand voice -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Brief:
    product: str
    audience: str
    goal: str
    channel: str
    tone: str = ""
    length: str = Length.MEDIUM
    key_message: str = ""
    variants: int = 3
    language: str = "en"
    locale: str = "en-US"

    def as_prompt(self) -> dict:
        return {"product": self.product, "audience": self.audience, "goal": self.goal, "channel": self.channel,
                "tone": self.tone, "length": self.length, "key_message": self.key_message,
                "locale": self.locale, "locale_means": LOCALES[self.locale][1]}

    @property
    def facts(self) -> list[str]:
        """What the user stated: numbers in these are the user's, not invented by the model."""
        return [self.product, self.goal, self.key_message, self.audience]


def parse_brief(data: dict) -> Brief:
    """Validate a brief from the API or the studio form; CopyError says what to fix."""
    values: dict[str, object] = {}
    for name, limit in BRIEF_LIMITS.items():
        value = str(data.get(name) or "").strip()
        if len(value) > limit:
            raise CopyError(f"Keep the {name.replace('_', ' ')} under {limit} characters.")
        values[name] = value
    for name in ("product", "audience", "goal"):
        if not values[name]:
            raise CopyError(f"The brief needs a {name}.")
    channel = str(data.get("channel") or "").strip()
    if channel not in Channel.values:
        raise CopyError(f"Choose a channel: {', '.join(Channel.values)}.")
    length = str(data.get("length") or Length.MEDIUM)
    if length not in Length.values:
        raise CopyError(f"Choose a length: {', '.join(Length.values)}.")
    try:
        variants = int(data.get("variants") or 3)
    except (TypeError, ValueError) as exc:
        raise CopyError("variants must be a number.") from exc
    if not 1 <= variants <= MAX_VARIANTS:
        raise CopyError(f"Ask for 1 to {MAX_VARIANTS} variants.")
    language, locale = _language_and_locale(str(data.get("language") or "en"), data.get("locale"))
    return Brief(channel=channel, length=length, variants=variants, language=language, locale=locale,
                 **values)  # type: ignore[arg-type]


def _language_and_locale(language: str, locale: object) -> tuple[str, str]:
    language = language.strip().replace("_", "-")
    if "-" in language and not locale:  # "zh-CN" given as the language
        locale = language
        language = language.split("-")[0]
    language = language.lower()
    if language not in DEFAULT_LOCALE:
        raise CopyError(f"Choose a language: {', '.join(DEFAULT_LOCALE)}.")
    locale = str(locale or DEFAULT_LOCALE[language]).strip().replace("_", "-")
    matches = [code for code in LOCALES if code.lower() == locale.lower()]
    if not matches or LOCALES[matches[0]][0] != language:
        options = ", ".join(code for code, (lang, _) in LOCALES.items() if lang == language)
        raise CopyError(f"Choose a locale for {language}: {options}.")
    return language, matches[0]


def brand_voice_for(workspace: Workspace) -> BrandVoice:
    voice, _ = BrandVoice.objects.get_or_create(workspace=workspace)
    return voice


def _clean_words(words: object) -> list[str]:
    if isinstance(words, str):
        words = words.replace("，", ",").replace("\n", ",").split(",")
    if not isinstance(words, list):
        raise CopyError("Give the words as a list (or comma separated).")
    cleaned = list(dict.fromkeys(str(w).strip() for w in words if str(w).strip()))
    if len(cleaned) > VOICE_LIMITS["words"] or any(len(w) > VOICE_LIMITS["word_chars"] for w in cleaned):
        raise CopyError(f"At most {VOICE_LIMITS['words']} words, each under {VOICE_LIMITS['word_chars']} characters.")
    return cleaned


def update_brand_voice(ctx: WorkspaceContext, **changes) -> BrandVoice:
    """Owners set the workspace's voice. Missing keys stay as they are."""
    ctx.require(MANAGE)
    voice = brand_voice_for(ctx.workspace)
    for slider in ("formality", "playfulness", "enthusiasm"):
        if changes.get(slider) is not None:
            try:
                value = int(changes[slider])
            except (TypeError, ValueError) as exc:
                raise CopyError(f"{slider} must be a number from 1 to 5.") from exc
            if not 1 <= value <= 5:
                raise CopyError(f"{slider} must be from 1 to 5.")
            setattr(voice, slider, value)
    if changes.get("reading_level") is not None:
        if changes["reading_level"] not in ReadingLevel.values:
            raise CopyError(f"Choose a reading level: {', '.join(ReadingLevel.values)}.")
        voice.reading_level = changes["reading_level"]
    for name in ("words_to_use", "words_to_avoid"):
        if changes.get(name) is not None:
            setattr(voice, name, _clean_words(changes[name]))
    if changes.get("samples") is not None:
        samples = [str(s).strip() for s in changes["samples"] if str(s).strip()]
        if len(samples) > VOICE_LIMITS["samples"] or any(len(s) > VOICE_LIMITS["sample_chars"] for s in samples):
            raise CopyError(f"At most {VOICE_LIMITS['samples']} sample texts of up to "
                            f"{VOICE_LIMITS['sample_chars']} characters each.")
        voice.samples = samples
    voice.updated_by = ctx.user if ctx.user and ctx.user.pk else None
    voice.save()
    return voice


def voice_snapshot(voice: BrandVoice) -> dict:
    return {"formality": voice.formality, "playfulness": voice.playfulness, "enthusiasm": voice.enthusiasm,
            "reading_level": voice.reading_level, "words_to_use": list(voice.words_to_use),
            "words_to_avoid": list(voice.words_to_avoid), "samples": list(voice.samples)}


# --- starting a generation ---------------------------------------------------------------------------------

def start_copy(ctx: WorkspaceContext, brief_data: dict) -> CopyRequest:
    ctx.require(ANALYZE)
    brief = parse_brief(brief_data)
    if not analysable_texts(ctx.workspace).exists():
        raise CopyError("Import customer texts first (and let moderation clear them): copy is grounded in what "
                        "your customers wrote.")
    voice = brand_voice_for(ctx.workspace)
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "copy", total=brief.variants + 2, user=ctx.user)
        request = CopyRequest.objects.create(
            workspace=ctx.workspace, job=job, created_by=job.created_by, product=brief.product,
            audience=brief.audience, goal=brief.goal, channel=brief.channel, tone=brief.tone, length=brief.length,
            key_message=brief.key_message, variants_requested=brief.variants, language=brief.language,
            locale=brief.locale, brand_voice=voice_snapshot(voice), seed=random.randrange(1, 2**30),
            prompt=VARIANTS_PROMPT, prompt_version=VARIANTS_VERSION)
        job.params = {"copy_id": request.pk}
        job.save(update_fields=["params"])
        _publish_copy(request)
    return request


def _publish_copy(request: CopyRequest) -> None:
    from .tasks import run_copy_task

    jobs.publish_on_commit(request.job_id, lambda: run_copy_task.delay(request.pk, job_id=str(request.job_id)),
                           on_unreachable=lambda error: _fail(request, error))


def brief_of(request: CopyRequest) -> Brief:
    return Brief(product=request.product, audience=request.audience, goal=request.goal, channel=request.channel,
                 tone=request.tone, length=request.length, key_message=request.key_message,
                 variants=request.variants_requested, language=request.language, locale=request.locale)


# --- grounding --------------------------------------------------------------------------------------------

def ground(workspace: Workspace, brief: Brief) -> dict:
    """The customer quotes and analysis themes relevant to the brief. Only texts moderation cleared."""
    query = " ".join(part for part in (brief.product, brief.audience, brief.goal, brief.key_message) if part)
    cleared = analysable_texts(workspace)
    hits = semantic_search(workspace, query, k=SEARCH_K)
    allowed = set(cleared.filter(pk__in=[h.text.pk for h in hits]).values_list("pk", flat=True))
    quotes: list[dict] = []
    seen: set[str] = set()
    for hit in hits:
        key = checks.normalise(hit.text.text)[:120]
        if hit.text.pk in allowed and key not in seen:
            seen.add(key)
            quotes.append(_quote(hit.text, round(hit.score, 4)))
        if len(quotes) >= QUOTES_IN_PROMPT:
            break
    notes = []
    if not quotes:  # nothing embedded yet: fall back to the newest cleared texts
        notes.append("No embedded texts matched the brief yet; the newest cleared texts were used instead.")
        quotes = [_quote(t, None) for t in cleared.order_by("-posted_at", "-pk")[:QUOTES_IN_PROMPT]]
    themes, extra = _themes_for(workspace, query, cleared)
    have = {q["id"] for q in quotes}
    quotes += [q for q in extra if q["id"] not in have][: max(0, QUOTES_IN_PROMPT + 2 - len(quotes))]
    return {"query": query, "quotes": quotes, "themes": themes, "notes": notes}


def _quote(text: CustomerText, score: float | None) -> dict:
    return {"id": text.pk, "text": text.text[:QUOTE_CHARS], "language": text.language, "score": score}


def _themes_for(workspace: Workspace, query: str, cleared) -> tuple[list[dict], list[dict]]:
    """Findings of the latest analysis that overlap the brief most (praise, pain points, requests), and a
    quote of each as extra material."""
    run = insights.latest_run(workspace)
    if run is None:
        return [], []
    kinds = (InsightKind.PRAISE, InsightKind.PAIN_POINT, InsightKind.FEATURE_REQUEST, InsightKind.OPPORTUNITY)
    items = [i for i in insights.insights(run) if i.kind in kinds and i.evidence]
    wanted = checks.tokens(query)
    items.sort(key=lambda i: (-len(wanted & checks.tokens(f"{i.title} {i.detail}")), kinds.index(i.kind),
                              i.position))
    chosen = items[:THEMES_IN_PROMPT]
    cleared_ids = set(cleared.filter(pk__in={e for i in chosen for e in i.evidence}).values_list("pk", flat=True))
    themes = [{"kind": i.kind, "title": i.title, "detail": i.detail[:200],
               "evidence": [e for e in i.evidence if e in cleared_ids]} for i in chosen]
    first = [t["evidence"][0] for t in themes if t["evidence"]]
    texts = {t.pk: t for t in cleared.filter(pk__in=first)}
    extra = [_quote(texts[e], None) for e in first if e in texts]
    return themes, extra


# --- generation -------------------------------------------------------------------------------------------

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
    if checks.has_cjk(text) == (wanted == "zh"):
        return wanted
    return detect_language(text) or ("zh" if checks.has_cjk(text) else "en")


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

    def request_for(slot: tuple[int, int], attempt: int) -> LLMRequest:
        return LLMRequest(VARIANTS_PROMPT, VARIANTS_VERSION, variables, DraftVariant,
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


def support_for(grounding: dict, brief: Brief, voice: dict | None = None) -> tuple[list[str], list[str]]:
    """(what copy may state as fact, the customers' texts it must not pose as): the brief, the brand voice's
    samples and words, and the customer quotes the model was shown."""
    quotes = [q["text"] for q in grounding.get("quotes", [])]
    voice = voice or {}
    stated = [*brief.facts, brief.tone, *voice.get("samples", []), " ".join(voice.get("words_to_use", []))]
    return [*stated, *quotes], quotes


def claims_for(headline: str, body: str, call_to_action: str, grounding: dict, brief: Brief,
               voice: dict | None = None) -> list[dict]:
    """Every claim of a variant to flag: superlatives, guarantees and numbers no quote supports, factual claims
    nothing the user gave supports (each once across the fields), placeholders and a customer's voice."""
    sources, quotes = support_for(grounding, brief, voice)
    support = contract.support_from(sources)
    seen: set = set()
    found = []
    for name, value in (("headline", headline), ("body", body), ("call_to_action", call_to_action)):
        claims = checks.merge_claims(checks.find_contract_problems(value, support, quotes, seen),
                                     checks.find_unsupported_claims(value, sources, brief.facts), seen=seen)
        found += [{"field": name, **claim.as_dict()} for claim in claims]
    return found


def run_copy(copy_id: int) -> None:
    request = CopyRequest.objects.select_related("workspace").filter(pk=copy_id).first()
    if request is None or request.status in (CopyStatus.SUCCEEDED, CopyStatus.FAILED):
        return  # deleted since (with its workspace), or a late duplicate delivery of a finished request
    job_id, brief = request.job_id, brief_of(request)
    total = brief.variants + 2
    CopyRequest.objects.filter(pk=request.pk).update(status=CopyStatus.RUNNING)
    jobs.mark_running(job_id, total=total, message="Finding what customers said about it.")
    if not request.variants.exists():  # a retried task skips what a previous attempt already stored
        if not request.grounding:
            request.grounding = ground(request.workspace, brief)
            CopyRequest.objects.filter(pk=request.pk).update(grounding=request.grounding)
        jobs.set_progress(job_id, 1, message=f"Writing {brief.variants} variants.")
        slots = [(p, request.seed + 1000 * p) for p in range(1, brief.variants + 1)]
        try:
            generation = generate(
                request.workspace, brief, request.brand_voice, request.grounding, slots,
                should_cancel=lambda: jobs.cancel_requested(job_id),
                on_progress=lambda n: jobs.set_progress(job_id, 1 + n, message=f"{n} of {brief.variants} written."))
        except LLMUnavailable:
            raise  # the task waits for the model server and runs again
        except LLMError as exc:
            _fail(request, str(exc))
            return
        if generation.cancelled or jobs.cancel_requested(job_id):
            _fail(request, "Cancelled.")
            return
        _store(request, brief, generation)
    jobs.set_progress(job_id, brief.variants + 1, message="Moderating the variants.")
    variants = list(request.variants.select_related("workspace"))
    moderate_variants([v for v in variants if v.moderation_status == ModerationStatus.UNCHECKED])
    request.refresh_from_db()
    if not variants:
        _fail(request, "No variant could be kept: " + " ".join(request.notes)
              + " Change the brief or the brand voice's words to avoid, then try again.")
        return
    CopyRequest.objects.filter(pk=request.pk).update(status=CopyStatus.SUCCEEDED, finished_at=timezone.now())
    jobs.succeed(job_id, {"copy_id": request.pk, "variants": len(variants), "notes": request.notes},
                 message=f"{len(variants)} variants written." + (" Some were dropped: see the notes." if
                                                                  len(variants) < brief.variants else ""))


def _store(request: CopyRequest, brief: Brief, generation: Generation) -> None:
    notes = [*request.grounding.get("notes", []), *generation.notes]
    with transaction.atomic():
        # A task redelivered while the first attempt still runs may finish too: the first to store wins.
        CopyRequest.objects.select_for_update().filter(pk=request.pk).first()
        if request.variants.exists():
            return
        CopyVariant.objects.bulk_create([
            CopyVariant(workspace=request.workspace, request=request, position=position,
                        headline=d.draft.headline, body=d.draft.body, call_to_action=d.draft.call_to_action,
                        language=d.language, sources=d.sources, sources_inferred=d.sources_inferred,
                        flagged_claims=claims_for(d.draft.headline, d.draft.body, d.draft.call_to_action,
                                                  request.grounding, brief, request.brand_voice),
                        model=d.model, prompt=VARIANTS_PROMPT, prompt_version=VARIANTS_VERSION, seed=d.seed,
                        attempts=d.attempts)
            for position, d in sorted(generation.drafted.items())])
        models = sorted({d.model for d in generation.drafted.values() if d.model})
        CopyRequest.objects.filter(pk=request.pk).update(notes=notes, model=", ".join(models)[:100])
    request.notes = notes


def _fail(request: CopyRequest, error: str) -> None:
    CopyRequest.objects.filter(pk=request.pk).update(status=CopyStatus.FAILED, finished_at=timezone.now())
    jobs.fail(request.job_id, error)


def sync_failed() -> None:
    """Requests and idea sets whose job failed (a task gave up) are marked failed too."""
    from apps.jobs.models import JobStatus

    failed = Job.objects.filter(kind__in=("copy", "copy_ideas"), status=JobStatus.FAILED).values_list("pk", flat=True)
    open_states = (CopyStatus.QUEUED, CopyStatus.RUNNING)
    CopyRequest.objects.filter(job_id__in=failed, status__in=open_states).update(status=CopyStatus.FAILED)
    IdeaSet.objects.filter(job_id__in=failed, status__in=open_states).update(status=CopyStatus.FAILED)


# --- moderation -------------------------------------------------------------------------------------------

def moderate_variants(variants: list[CopyVariant]) -> None:
    """Hand new or edited variants to moderation, the one place that judges text (its fast detectors, then its
    LLM judge for what they cannot settle), and store each verdict on its variant. Until moderation approves a
    variant, nobody can approve it. When no model server answers, unsettled variants wait for a moderator."""
    from apps.moderation import services as moderation

    if not variants:
        return
    workspace = variants[0].workspace
    asked = [cta for v in variants for cta in calls_to_action_asked(v.request.goal, v.call_to_action)]
    verdicts = moderation.moderate_generated_many(workspace, SUBJECT_TYPE, [(v.pk, v.text) for v in variants],
                                                  language=variants[0].language, source="copy",
                                                  allowed_calls_to_action=list(dict.fromkeys(asked)))
    for variant, verdict in zip(variants, verdicts, strict=True):
        reason = explain_status(verdict.status, verdict.categories, verdict.rationale, verdict.offending_span)
        _set_moderation(variant, verdict.status, reason, verdict.case_id)


def calls_to_action_asked(goal: str, call_to_action: str) -> list[str]:
    """The variant's call to action when it asks for what the brief's goal asks for ("Pre-order now" for the
    goal "pre-orders of the new model"; "立即预售" for "双十一预售"): copy is not spam for asking that. A call to
    action sharing no word stem with the goal ("Click here") earns no allowance."""
    goal_words = {w[:5] for w in re.findall(r"[a-z]{4,}", checks.normalise(goal))}
    cta_words = {w[:5] for w in re.findall(r"[a-z]{4,}", checks.normalise(call_to_action))}
    shared = bool(goal_words & cta_words) or bool(
        {b for b in checks.tokens(goal) if checks.has_cjk(b)} & {b for b in checks.tokens(call_to_action)})
    return [call_to_action.strip()] if call_to_action.strip() and shared else []


def moderate_variant(variant: CopyVariant) -> CopyVariant:
    moderate_variants([variant])
    return variant


def _set_moderation(variant: CopyVariant, status: str, reason: str, case_id: int | None) -> None:
    variant.moderation_status, variant.moderation_reason = status, reason[:2000]
    variant.moderation_case_id = case_id
    fields = {"moderation_status": status, "moderation_reason": variant.moderation_reason,
              "moderation_case_id": case_id, "updated_at": timezone.now()}
    if status != ModerationStatus.APPROVED and variant.approved:  # a later rejection withdraws an approval
        variant.approved = False
        fields |= {"approved": False, "approved_by": None, "approved_at": None}
    CopyVariant.objects.filter(pk=variant.pk).update(**fields)


def apply_moderation_outcome(workspace_id: int, changes: list[dict]) -> None:
    """Moderation decided on variants (its judge finished, or a moderator approved, edited or rejected one):
    store the status and the reason. A moderator's edit becomes the variant's text."""
    from apps.moderation import selectors as moderation

    ids = [int(c["subject_id"]) for c in changes if str(c.get("subject_id", "")).isdigit()]
    variants = {v.pk: v for v in CopyVariant.objects.filter(workspace_id=workspace_id, pk__in=ids)
                .select_related("request")}
    for change in changes:
        variant = variants.get(int(change["subject_id"])) if str(change.get("subject_id", "")).isdigit() else None
        if variant is None:
            continue
        case = moderation.get_case(workspace_id, change["case_id"]) if change.get("case_id") else None
        note = ""
        if case is not None and case.decision:
            trail = moderation.audit_trail(case)
            note = trail[-1].note if trail else ""
        if change.get("text") and change["text"] != variant.text:
            _take_moderator_text(variant, change["text"], case.decided_by if case else None)
        reason = explain_status(change["status"], list(case.categories) if case else [], case.rationale if case else "",
                         case.offending_span if case else "", note)
        _set_moderation(variant, change["status"], reason, change.get("case_id"))


def _take_moderator_text(variant: CopyVariant, text: str, user) -> None:
    """'Edit and approve' by a moderator: the corrected text replaces the variant's (split back into parts)."""
    parts = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    if len(parts) >= 3:
        headline, body, cta = parts[0], "\n\n".join(parts[1:-1]), parts[-1]
    elif len(parts) == 2:
        headline, body, cta = parts[0], parts[1], ""
    else:
        headline, body, cta = "", text.strip(), ""
    _remember(variant, "moderator edit", user)
    variant.headline, variant.body, variant.call_to_action = headline[:300], body, cta[:120]
    variant.flagged_claims = claims_for(variant.headline, variant.body, variant.call_to_action,
                                        variant.request.grounding, brief_of(variant.request),
                                        variant.request.brand_voice)
    variant.edited = True
    variant.save(update_fields=["headline", "body", "call_to_action", "flagged_claims", "edited", "history",
                                "updated_at"])


# --- variant actions ----------------------------------------------------------------------------------------

def _variant(ctx: WorkspaceContext, variant_id: int, copy_id: int | None = None) -> CopyVariant:
    qs = CopyVariant.objects.filter(workspace=ctx.workspace, pk=variant_id).select_related("request")
    if copy_id is not None:
        qs = qs.filter(request_id=copy_id)
    variant = qs.first()
    if variant is None:
        raise NotFound("No such variant in this workspace.")
    return variant


def _remember(variant: CopyVariant, why: str, user=None, job_id: str | None = None) -> None:
    entry = {"headline": variant.headline, "body": variant.body, "call_to_action": variant.call_to_action,
             "why": why, "at": timezone.now().isoformat(), "by": getattr(user, "username", None),
             "job": job_id, "moderation_status": variant.moderation_status}
    variant.history = [*variant.history, entry][-HISTORY_KEPT:]


def _reset_review(variant: CopyVariant) -> None:
    variant.approved, variant.approved_by, variant.approved_at = False, None, None
    variant.moderation_status, variant.moderation_reason = ModerationStatus.UNCHECKED, ""


def edit_variant(ctx: WorkspaceContext, variant_id: int, *, copy_id: int | None = None, headline: str | None = None,
                 body: str | None = None, call_to_action: str | None = None) -> CopyVariant:
    """A person's edit: checked against the brand voice, claims flagged again, and moderated again."""
    ctx.require(ANALYZE)
    variant = _variant(ctx, variant_id, copy_id)
    new = {"headline": variant.headline if headline is None else headline.strip(),
           "body": variant.body if body is None else body.strip(),
           "call_to_action": variant.call_to_action if call_to_action is None else call_to_action.strip()}
    if len(new["headline"]) > 300 or len(new["body"]) > 5000 or len(new["call_to_action"]) > 120:
        raise CopyError("Keep the headline under 300, the body under 5000 and the call to action under 120 "
                        "characters.")
    text = compose(**new)
    if not text:
        raise CopyError("The copy cannot be empty.")
    if new == {"headline": variant.headline, "body": variant.body, "call_to_action": variant.call_to_action}:
        return variant
    banned = checks.find_banned(text, brand_voice_for(ctx.workspace).words_to_avoid)
    if banned:
        raise CopyError(f"Your edit uses words the brand voice avoids: {', '.join(banned)}.")
    request = variant.request
    _remember(variant, "edit", ctx.user)
    variant.headline, variant.body, variant.call_to_action = new["headline"], new["body"], new["call_to_action"]
    variant.flagged_claims = claims_for(*new.values(), request.grounding, brief_of(request), request.brand_voice)
    variant.language = language_of(text, request.language)
    variant.edited, variant.edited_by = True, ctx.user if ctx.user and ctx.user.pk else None
    _reset_review(variant)
    variant.save()
    return moderate_variant(variant)


def set_favourite(ctx: WorkspaceContext, variant_id: int, favourite: bool, copy_id: int | None = None) -> CopyVariant:
    ctx.require(ANALYZE)
    variant = _variant(ctx, variant_id, copy_id)
    CopyVariant.objects.filter(pk=variant.pk).update(favourite=favourite)
    variant.favourite = favourite
    return variant


def approve_variant(ctx: WorkspaceContext, variant_id: int, copy_id: int | None = None) -> CopyVariant:
    """A person approves copy for use; refused until moderation approved this exact text."""
    ctx.require(ANALYZE)
    variant = _variant(ctx, variant_id, copy_id)
    if variant.moderation_status != ModerationStatus.APPROVED:
        if variant.moderation_status in (ModerationStatus.REJECTED, ModerationStatus.HIDDEN):
            raise CopyConflict("Moderation rejected this variant" + (f": {variant.moderation_reason}"
                                                                 if variant.moderation_reason else ".")
                            + " Edit or regenerate it.")
        raise CopyConflict("Moderation has not approved this variant yet "
                        f"(it is {variant.moderation_status}); approve it once moderation has.")
    variant.approved, variant.approved_by, variant.approved_at = True, ctx.user, timezone.now()
    variant.save(update_fields=["approved", "approved_by", "approved_at", "updated_at"])
    return variant


def regenerate_variant(ctx: WorkspaceContext, variant_id: int, copy_id: int | None = None) -> Job:
    """Write one variant again (a job on the `llm` queue) with a new seed; the old text goes to its history."""
    ctx.require(ANALYZE)
    variant = _variant(ctx, variant_id, copy_id)
    if variant.request.status != CopyStatus.SUCCEEDED:
        raise CopyConflict("Wait for the generation to finish before regenerating a variant.")
    with transaction.atomic():
        locked = CopyVariant.objects.select_for_update().get(pk=variant.pk)
        running = Job.objects.filter(pk=locked.regenerate_job_id).first() if locked.regenerate_job_id else None
        if running is not None and not running.is_finished:
            raise CopyConflict("This variant is already being regenerated.")
        job = jobs.create_job(ctx.workspace, "copy_regenerate", total=2, user=ctx.user,
                              params={"copy_id": variant.request_id, "variant_id": variant.pk})
        CopyVariant.objects.filter(pk=variant.pk).update(regenerate_job=job)
        _publish_regenerate(variant.pk, job)
    return job


def _publish_regenerate(variant_id: int, job: Job) -> None:
    from .tasks import regenerate_variant_task

    jobs.publish_on_commit(job.pk, lambda: regenerate_variant_task.delay(variant_id, job_id=str(job.pk)))


def run_regenerate(variant_id: int, job_id: str) -> None:
    job = Job.objects.get(pk=job_id)
    if job.is_finished:
        return
    variant = CopyVariant.objects.select_related("request", "workspace").get(pk=variant_id)
    request = variant.request
    if not any(entry.get("job") == str(job_id) for entry in variant.history):  # not already done by a retry
        jobs.mark_running(job_id, total=2, message="Writing the variant again.")
        brief = brief_of(request)
        voice = voice_snapshot(brand_voice_for(variant.workspace))  # today's voice: the owner may have changed it
        try:
            generation = generate(variant.workspace, brief, voice, request.grounding,
                                  [(variant.position, random.randrange(1, 2**30))],
                                  should_cancel=lambda: jobs.cancel_requested(job_id))
        except LLMUnavailable:
            raise
        except LLMError as exc:
            jobs.fail(job_id, str(exc))
            return
        drafted = generation.drafted.get(variant.position)
        if generation.cancelled or drafted is None:
            jobs.fail(job_id, "Cancelled." if generation.cancelled else
                      " ".join(generation.notes) + " The variant was left as it was.")
            return
        with transaction.atomic():
            variant = CopyVariant.objects.select_for_update().get(pk=variant.pk)
            _remember(variant, "regenerate", job.created_by, str(job_id))
            d = drafted.draft
            variant.headline, variant.body, variant.call_to_action = d.headline, d.body, d.call_to_action
            variant.sources, variant.sources_inferred, variant.language = (drafted.sources, drafted.sources_inferred,
                                                                           drafted.language)
            variant.flagged_claims = claims_for(d.headline, d.body, d.call_to_action, request.grounding, brief, voice)
            variant.seed, variant.attempts, variant.model = drafted.seed, drafted.attempts, drafted.model
            variant.edited = False
            _reset_review(variant)
            variant.save()
    jobs.set_progress(job_id, 1, message="Moderating the new text.")
    variant.refresh_from_db()
    if variant.moderation_status == ModerationStatus.UNCHECKED:
        moderate_variant(variant)
    jobs.succeed(job_id, {"copy_id": request.pk, "variant_id": variant.pk}, message="Variant rewritten.")


# --- product ideas ----------------------------------------------------------------------------------------

def start_ideas(ctx: WorkspaceContext) -> IdeaSet:
    ctx.require(ANALYZE)
    run = insights.latest_run(ctx.workspace)
    if run is None:
        raise CopyError("Run an analysis first: ideas are drawn from its pain points and feature requests.")
    if not run.insights.filter(kind__in=(InsightKind.PAIN_POINT, InsightKind.FEATURE_REQUEST)).exists():
        raise CopyError("The latest analysis found no pain points or feature requests to draw ideas from.")
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "copy_ideas", total=2, user=ctx.user)
        idea_set = IdeaSet.objects.create(workspace=ctx.workspace, job=job, analysis=run, created_by=job.created_by,
                                          prompt=IDEAS_PROMPT, prompt_version=IDEAS_VERSION)
        job.params = {"idea_set_id": idea_set.pk}
        job.save(update_fields=["params"])
        _publish_ideas(idea_set)
    return idea_set


def _publish_ideas(idea_set: IdeaSet) -> None:
    from .tasks import generate_ideas_task

    jobs.publish_on_commit(idea_set.job_id,
                           lambda: generate_ideas_task.delay(idea_set.pk, job_id=str(idea_set.job_id)),
                           on_unreachable=lambda error: _fail_ideas(idea_set, error))


def _idea_material(idea_set: IdeaSet) -> tuple[list[dict], list[dict]]:
    run = idea_set.analysis
    items = [i for i in insights.insights(run) if i.kind in (InsightKind.PAIN_POINT, InsightKind.FEATURE_REQUEST)]
    items = items[:IDEA_FINDINGS]
    cleared = analysable_texts(idea_set.workspace)
    wanted: list[int] = []
    for item in items:  # round-robin, so every finding has evidence in the prompt
        wanted += [e for e in item.evidence[:2] if e not in wanted]
    texts = {t.pk: t for t in cleared.filter(pk__in=wanted)}
    signals = insights.evidence_signals(list(texts))
    # Each text says whether it complains or asks: the model can tell what is missing from what is there.
    quotes = [{**_quote(texts[i], None), **dict(zip(("sentiment", "intent", "score"), signals.get(i, ("", "", None))))}
              for i in wanted if i in texts][:IDEA_QUOTES]
    shown = {q["id"] for q in quotes}
    findings = [{"kind": i.kind, "title": i.title, "detail": i.detail[:200],
                 "evidence": [e for e in i.evidence if e in shown]} for i in items]
    return findings, quotes


def _requested_features(workspace: Workspace) -> list[str]:
    """What customers ask for (key phrases of request texts): an idea must not say the product has it."""
    texts = list(TextAnalysis.objects.filter(workspace=workspace, intent="feature_request").values_list(
        "text__text", flat=True)[:2000])
    recent = analysable_texts(workspace).order_by("-pk").values_list("text", flat=True)[:5000]
    texts += [t for t in recent if evidence.REQUEST_CUES.search(t)]
    return evidence.requested_features(texts)


def _checked_ideas(ideas: IdeaList, quotes: list[dict], requested: list[str]) -> tuple[IdeaList, evidence.SupportCount]:
    """A copy of `ideas` keeping what the shown texts support: ideas cite pain or requests, and never present a
    requested feature as existing (apps.insights.evidence)."""
    texts = {q["id"]: evidence.TextFacts(q["text"], q["sentiment"], q["intent"], q["score"]) for q in quotes}
    checked = ideas.model_copy(deep=True)
    checked.product_ideas, count = evidence.check_findings(
        [d for d in checked.product_ideas if d.title.strip()], evidence.IDEA, texts, requested=requested)
    checked.positioning_angles, angles = evidence.check_findings(
        [d for d in checked.positioning_angles if d.title.strip()], evidence.IDEA, texts, requested=requested)
    count.add(angles)
    count.claims_dropped += len(ideas.product_ideas) + len(ideas.positioning_angles) - count.claims
    return checked, count


def generate_ideas(idea_set_id: int) -> None:
    idea_set = IdeaSet.objects.select_related("workspace", "analysis").get(pk=idea_set_id)
    if idea_set.status in (CopyStatus.SUCCEEDED, CopyStatus.FAILED):
        return
    job_id = idea_set.job_id
    IdeaSet.objects.filter(pk=idea_set.pk).update(status=CopyStatus.RUNNING)
    jobs.mark_running(job_id, total=2, message="Reading the pain points and feature requests.")
    if idea_set.analysis is None:
        _fail_ideas(idea_set, "The analysis these ideas were drawn from was deleted; start again.")
        return
    findings, quotes = _idea_material(idea_set)
    requested = _requested_features(idea_set.workspace)
    from apps.insights.services import settings_for

    variables = {"product_context": settings_for(idea_set.workspace).product_context, "findings": findings,
                 "texts": [{"id": q["id"], "text": q["text"], "sentiment": q["sentiment"], "intent": q["intent"]}
                           for q in quotes]}
    best: tuple[IdeaList, evidence.SupportCount] | None = None
    model, notes = "", []
    for attempt in range(IDEA_ATTEMPTS):  # asked again (new seed) while a proposal fails its evidence check
        try:
            outcome = get_gateway().run(LLMRequest(IDEAS_PROMPT, IDEAS_VERSION, variables, IdeaList, max_tokens=600,
                                                   temperature=0.3, seed=attempt), workspace=idea_set.workspace,
                                        feature="copy_ideas")
        except LLMUnavailable:
            raise
        except LLMError as exc:
            notes.append(str(exc))
            continue
        model = outcome.model
        checked, count = _checked_ideas(outcome.output, quotes, requested)
        kept = len(checked.product_ideas) + len(checked.positioning_angles)
        if best is None or kept > len(best[0].product_ideas) + len(best[0].positioning_angles):
            best = (checked, count)
        if kept and not count.claims_dropped and not count.citations_dropped:
            break
    if best is None:
        _fail_ideas(idea_set, notes[-1] if notes else "The model proposed nothing.")
        return
    checked, count = best
    rows = [ProductIdea(idea_set=idea_set, kind=kind, title=draft.title.strip()[:200], detail=draft.detail.strip(),
                        evidence=draft.evidence, position=position)
            for kind, drafts in ((IdeaKind.PRODUCT_IDEA, checked.product_ideas),
                                 (IdeaKind.POSITIONING, checked.positioning_angles))
            for position, draft in enumerate(drafts)]
    notes += [note.replace("evidence: ", "Ideas: ") for note in evidence.notes_for(count)]
    with transaction.atomic():
        ProductIdea.objects.filter(idea_set=idea_set).delete()
        ProductIdea.objects.bulk_create(rows)
        IdeaSet.objects.filter(pk=idea_set.pk).update(status=CopyStatus.SUCCEEDED, finished_at=timezone.now(),
                                                      model=model[:100], notes=notes)
    jobs.succeed(job_id, {"idea_set_id": idea_set.pk, "ideas": len(rows)}, message=f"{len(rows)} ideas with evidence.")


def _fail_ideas(idea_set: IdeaSet, error: str) -> None:
    IdeaSet.objects.filter(pk=idea_set.pk).update(status=CopyStatus.FAILED, finished_at=timezone.now())
    jobs.fail(idea_set.job_id, error)


# --- retrying failed jobs (registered with apps.jobs.registry in apps.py) ---------------------------------

def resend_copy(job: Job) -> None:
    """Generate again. Variants a failed attempt already stored are kept (run_copy moderates them and finishes);
    otherwise a new seed, so a retry does not repeat drafts that were all dropped."""
    request = CopyRequest.objects.get(job=job)
    fields: dict = {"status": CopyStatus.QUEUED, "finished_at": None}
    if not request.variants.exists():
        fields["seed"] = random.randrange(1, 2**30)
    CopyRequest.objects.filter(pk=request.pk).update(**fields)
    _publish_copy(request)


def regenerate_retry_refusal(job: Job) -> str | None:
    variant = CopyVariant.objects.filter(pk=job.params.get("variant_id"), workspace_id=job.workspace_id).first()
    if variant is None:
        return "This variant no longer exists."
    if variant.regenerate_job_id != job.pk:
        return "This variant was regenerated again since: regenerate it from its page if you want another text."
    return None


def resend_regenerate(job: Job) -> None:
    _publish_regenerate(job.params["variant_id"], job)


def ideas_retry_refusal(job: Job) -> str | None:
    idea_set = IdeaSet.objects.filter(job=job).first()
    if idea_set is None or idea_set.analysis_id is None:
        return "The analysis these ideas were drawn from was deleted: ask for ideas again."
    return None


def resend_ideas(job: Job) -> None:
    idea_set = IdeaSet.objects.get(job=job)
    IdeaSet.objects.filter(pk=idea_set.pk).update(status=CopyStatus.QUEUED, finished_at=None)
    _publish_ideas(idea_set)
