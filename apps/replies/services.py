"""Writes of replies and translations.

Reply drafts. One job on the `llm` queue drafts replies for a set of texts (chosen by id or by filter), a chunk
of texts at a time. Each text is grounded first: the nearest texts by meaning (pgvector) that moderation
cleared, approved replies to them, and the knowledge snippets nearest in meaning. Then every draft of the chunk
is asked of the gateway at once. The policy checks (checks.py) run on every answer: a draft that states facts
it cannot rely on, offers what the policy does not allow, leaves a placeholder or uses a word the brand voice
avoids is asked again with its problems listed, up to DRAFT_ATTEMPTS times; then the best answer is kept
with its flags, and a person must edit them away before approving it. An answer in the wrong language is never
kept: asked again once, then the text fails with a sentence saying so. Every stored or edited draft goes to
moderation (`moderate_generated_many`), and only a draft moderation approved can be approved.

Translations are generated on demand through the gateway, checked for the target language and kept in
TextTranslation (one per text and language). A bulk translation is a job like drafting.
"""

from __future__ import annotations

import logging
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import ANALYZE, MANAGE, VIEW
from apps.copy import contract
from apps.copy.selectors import brand_voice as copy_brand_voice
from apps.core.errors import Conflict, InvalidRequest, NotFound, UpstreamFailed
from apps.corpus.language import detect_language
from apps.corpus.models import CustomerText, ModerationStatus
from apps.corpus.selectors import TextFilters, get_text, texts_by_ids
from apps.embeddings.backends import get_backend
from apps.embeddings.models import TextEmbedding
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.llm.gateway import LLMCancelled, LLMRequest, LLMResult, get_gateway, run_in_rounds
from apps.moderation.selectors import analysable_texts
from apps.moderation.services import explain_status
from apps.search.selectors import nearest

from . import checks, selectors
from .models import (
    LANGUAGES,
    KnowledgeSnippet,
    ReplyDraft,
    ReplyPolicy,
    ReplyStatus,
    TextTranslation,
    UserLanguage,
)
from .schemas import ReplyOutput, TranslationOutput
from .selectors import text_hash

logger = logging.getLogger(__name__)

REPLY_PROMPT, REPLY_VERSION = "replies/reply", 2
TRANSLATE_PROMPT, TRANSLATE_VERSION = "replies/translate", 1
SUBJECT_TYPE = "reply_draft"  # what moderation calls a draft
MAX_TEXTS_PER_JOB = 200
MAX_TRANSLATIONS_PER_JOB = 1000
MAX_VARIANTS = 3
DRAFT_ATTEMPTS = 3  # per draft, against policy flags, placeholders and banned words
LANGUAGE_ATTEMPTS = 2  # the wrong language is asked again once; then the text fails (never kept in it)
TRANSLATE_ATTEMPTS = 3
CHUNK_TEXTS = 16  # texts per gateway batch: bounded memory, progress after each
TRANSLATE_CHUNK_TEXTS = 32
# Prompt budget: the test model serves a 2048-token context, so the material is kept short.
SEARCH_K = 24
SIMILAR_IN_PROMPT = 2
EARLIER_IN_PROMPT = 2
SNIPPETS_IN_PROMPT = 3
SNIPPET_MIN_SCORE = 0.25
CUSTOMER_CHARS = 600  # a longer text is cut (with "…"): its first part carries the points to answer
QUOTE_CHARS = 200
SNIPPET_CHARS = 300
EARLIER_CHARS = 300
POLICY_CHARS = 800
REPLY_MAX_TOKENS = 400
FIRST_TEMPERATURE = 0.4  # drafts should read naturally; each has its own seed, so a job is reproducible
RETRY_TEMPERATURE = 0.8
TRANSLATE_PIECE_CHARS = 400
TRANSLATE_MAX_TOKENS = 600
POLICY_LIMITS = {"policy": 2000, "tone": 200, "sign_off": 200}
PROMISES_MAX, PROMISE_CHARS = 20, 200
SNIPPETS_MAX, SNIPPET_TITLE_CHARS, SNIPPET_BODY_CHARS = 200, 200, 1000
EDIT_MAX_CHARS = 5000
HISTORY_KEPT = 10
NO_POLICY = ("No reply policy has been written yet: offer no refunds, compensation, replacements, guarantees or "
             "deadlines. Thank, apologise where it fits, and say the team will look into it.")


class ReplyError(InvalidRequest):
    """Something the user asked for that cannot be done; the message says what to do instead."""


class ReplyConflict(ReplyError, Conflict):
    """Refused because of where things stand (moderation not done, policy flags left)."""


class TranslationFailed(UpstreamFailed):
    """The model could not produce a usable translation; the message says so in words a reader can act on."""


def _user(ctx: WorkspaceContext):
    return ctx.user if ctx.user is not None and ctx.user.pk else None


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- policy, knowledge, reading language --------------------------------------------------------------------

def policy_for(workspace: Workspace) -> ReplyPolicy:
    policy, _ = ReplyPolicy.objects.get_or_create(workspace=workspace)
    return policy


def _clean_promises(promises: object) -> list[str]:
    if isinstance(promises, str):
        promises = promises.splitlines()
    if not isinstance(promises, list):
        raise ReplyError("Give the allowed promises as a list (one per line).")
    cleaned = list(dict.fromkeys(str(p).strip() for p in promises if str(p).strip()))
    if len(cleaned) > PROMISES_MAX or any(len(p) > PROMISE_CHARS for p in cleaned):
        raise ReplyError(f"At most {PROMISES_MAX} allowed promises, each under {PROMISE_CHARS} characters.")
    return cleaned


def update_policy(ctx: WorkspaceContext, **changes) -> ReplyPolicy:
    """Owners write the reply policy. Missing (None) keys stay as they are."""
    ctx.require(MANAGE)
    policy = policy_for(ctx.workspace)
    for name, limit in POLICY_LIMITS.items():
        if changes.get(name) is not None:
            value = str(changes[name]).strip()
            if len(value) > limit:
                raise ReplyError(f"Keep the {name.replace('_', ' ')} under {limit} characters.")
            setattr(policy, name, value)
    if changes.get("allowed_promises") is not None:
        policy.allowed_promises = _clean_promises(changes["allowed_promises"])
    policy.updated_by = _user(ctx)
    policy.save()
    return policy


def policy_snapshot(policy: ReplyPolicy) -> dict:
    return {"policy": policy.policy, "tone": policy.tone, "sign_off": policy.sign_off,
            "allowed_promises": list(policy.allowed_promises or [])}


def _clean_snippet(title: object, body: object) -> tuple[str, str]:
    title, body = str(title or "").strip(), str(body or "").strip()
    if not title or not body:
        raise ReplyError("A knowledge snippet needs a title and a text.")
    if len(title) > SNIPPET_TITLE_CHARS or len(body) > SNIPPET_BODY_CHARS:
        raise ReplyError(f"Keep the title under {SNIPPET_TITLE_CHARS} and the text under {SNIPPET_BODY_CHARS} "
                         "characters: snippets are short FAQ entries.")
    return title, body


def add_snippet(ctx: WorkspaceContext, title: str, body: str) -> KnowledgeSnippet:
    ctx.require(MANAGE)
    title, body = _clean_snippet(title, body)
    if KnowledgeSnippet.objects.filter(workspace=ctx.workspace).count() >= SNIPPETS_MAX:
        raise ReplyError(f"A workspace keeps at most {SNIPPETS_MAX} knowledge snippets: delete old ones first.")
    return KnowledgeSnippet.objects.create(workspace=ctx.workspace, title=title, body=body, updated_by=_user(ctx))


def _snippet(ctx: WorkspaceContext, snippet_id: int) -> KnowledgeSnippet:
    snippet = selectors.get_snippet(ctx.workspace, snippet_id)
    if snippet is None:
        raise NotFound("No such knowledge snippet in this workspace.")
    return snippet


def update_snippet(ctx: WorkspaceContext, snippet_id: int, *, title: str | None = None,
                   body: str | None = None) -> KnowledgeSnippet:
    ctx.require(MANAGE)
    snippet = _snippet(ctx, snippet_id)
    snippet.title, snippet.body = _clean_snippet(snippet.title if title is None else title,
                                                 snippet.body if body is None else body)
    snippet.updated_by = _user(ctx)
    snippet.save()  # the vector is recomputed when a draft next needs it (embedded_hash no longer matches)
    return snippet


def delete_snippet(ctx: WorkspaceContext, snippet_id: int) -> None:
    ctx.require(MANAGE)
    _snippet(ctx, snippet_id).delete()


def seed_reply_policy(workspace: Workspace, policy: dict, snippets: list[tuple[str, str]]) -> None:
    """The demo's policy and knowledge, written only where none exists (an owner's edits stay)."""
    if not ReplyPolicy.objects.filter(workspace=workspace).exists():
        ReplyPolicy.objects.create(workspace=workspace, policy=policy.get("policy", ""), tone=policy.get("tone", ""),
                                   sign_off=policy.get("sign_off", ""),
                                   allowed_promises=list(policy.get("allowed_promises", [])))
    have = set(KnowledgeSnippet.objects.filter(workspace=workspace).values_list("title", flat=True))
    KnowledgeSnippet.objects.bulk_create([KnowledgeSnippet(workspace=workspace, title=title, body=body)
                                          for title, body in snippets if title not in have])


def valid_language(language: str) -> str:
    code = str(language or "").strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        raise ReplyError(f"Choose a language: {', '.join(LANGUAGES)}.")
    return code


def set_reading_language(ctx: WorkspaceContext, language: str) -> str:
    """Anyone sets the language they read customer texts in."""
    ctx.require(VIEW)
    code = valid_language(language)
    if _user(ctx) is None:
        raise ReplyError("Only a signed-in person has a reading language.")
    UserLanguage.objects.update_or_create(user=ctx.user, defaults={"language": code})
    return code


# --- choosing texts ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    """The texts a job works on: explicit ids, or everything matching the filters (and analysis signals)."""

    text_ids: list[int] | None = None
    filters: TextFilters = field(default_factory=TextFilters)
    sentiment: str | None = None
    theme: int | None = None

    def describe(self) -> dict:
        f = self.filters
        return {k: (str(v) if v is not None else None) for k, v in {
            "date_from": f.date_from, "date_to": f.date_to, "rating": f.rating, "source": f.source,
            "language": f.language, "product": f.product, "sentiment": self.sentiment, "theme": self.theme,
        }.items() if v not in (None, "")}


def resolve_texts(ctx: WorkspaceContext, selection: Selection, limit: int) -> list[int]:
    """Ids of the texts chosen, in a stable order. NotFound for ids outside the workspace."""
    if selection.text_ids is not None:
        wanted = list(dict.fromkeys(int(i) for i in selection.text_ids))
        if not wanted:
            raise ReplyError("Choose at least one text.")
        if len(wanted) > limit:
            raise ReplyError(f"Choose at most {limit} texts at a time.")
        found = texts_by_ids(ctx.workspace, wanted)
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound(f"No such text in this workspace: {', '.join(f'#{i}' for i in missing[:10])}.")
        return wanted
    if selection.sentiment and selection.sentiment not in ("positive", "neutral", "negative"):
        raise ReplyError("Choose a sentiment: positive, neutral or negative.")
    qs = selectors.select_texts(ctx.workspace, selection.filters, sentiment=selection.sentiment,
                                theme=selection.theme)
    ids = list(qs.values_list("pk", flat=True)[:limit + 1])
    if not ids:
        hint = (" Sentiment is known once an analysis has run: run one, or filter by rating instead."
                if selection.sentiment else "")
        raise ReplyError("No texts match these filters." + hint)
    if len(ids) > limit:
        raise ReplyError(f"More than {limit} texts match: narrow the filters (a date range, a source or a rating).")
    return ids


# --- drafting: starting the job -----------------------------------------------------------------------------

def start_drafts(ctx: WorkspaceContext, selection: Selection, variants: int = 1) -> Job:
    ctx.require(ANALYZE)
    if not 1 <= int(variants) <= MAX_VARIANTS:
        raise ReplyError(f"Ask for 1 to {MAX_VARIANTS} drafts per text.")
    ids = resolve_texts(ctx, selection, MAX_TEXTS_PER_JOB)
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "reply_drafts", total=len(ids), user=ctx.user,
                              message=f"Queued: drafting replies to {len(ids)} texts.",
                              params={"text_ids": ids, "variants": int(variants), "seed": random.randrange(1, 2**30),
                                      "selection": selection.describe()})
        resend_drafts(job)
    return job


def resend_drafts(job: Job) -> None:
    """Queue the drafting task; also how a failed job is retried (texts it already drafted are skipped)."""
    from .tasks import draft_replies_task

    jobs.publish_on_commit(job.pk, lambda: draft_replies_task.delay(job_id=str(job.pk)))


# --- grounding ---------------------------------------------------------------------------------------------

def reply_language(text: CustomerText) -> str:
    """The customer's language: what the import found, else detected, else English."""
    code = (text.language or "").strip().lower().split("-")[0]
    return code or detect_language(text.text) or "en"


def language_name(code: str) -> str:
    return LANGUAGES.get(code, f"the language with ISO 639-1 code '{code}'")


def _text_vector(workspace: Workspace, text_id: int):
    return (TextEmbedding.objects.filter(workspace=workspace, text_id=text_id, model=workspace.embedding_model)
            .values_list("embedding", flat=True).first())


def embed_snippets(workspace: Workspace, snippets: list[KnowledgeSnippet]) -> None:
    """Vectors for snippets that have none for the workspace's model (or changed since). Ranking falls back to
    shared words when the embedding model cannot be loaded, so drafting never fails because of it."""
    model = workspace.embedding_model
    stale = [s for s in snippets if not s.embedding or s.embedding_model != model
             or s.embedded_hash != text_hash(f"{s.title}\n{s.body}")]
    if not stale:
        return
    try:
        vectors = get_backend(model).encode([f"{s.title}\n{s.body}" for s in stale])
    except Exception:  # noqa: BLE001  (a missing model must not stop drafting; it is logged)
        logger.exception("could not embed %d knowledge snippets of workspace %s with %s", len(stale),
                         workspace.pk, model)
        return
    for snippet, vector in zip(stale, vectors, strict=True):
        snippet.embedding = [round(float(x), 6) for x in vector]
        snippet.embedding_model = model
        snippet.embedded_hash = text_hash(f"{snippet.title}\n{snippet.body}")
    KnowledgeSnippet.objects.bulk_update(stale, ["embedding", "embedding_model", "embedded_hash"])


def rank_snippets(workspace: Workspace, snippets: list[KnowledgeSnippet], text: str, vector) -> list[KnowledgeSnippet]:
    """The snippets nearest the text in meaning (cosine of the stored vectors), nudged by shared words."""
    words = checks.tokens(text)
    query = np.asarray(vector, dtype=np.float32) if vector is not None else None
    scored = []
    for snippet in snippets:
        score = 0.0
        if query is not None and snippet.embedding and snippet.embedding_model == workspace.embedding_model:
            other = np.asarray(snippet.embedding, dtype=np.float32)
            if other.shape == query.shape:
                score = float(np.dot(query, other))
        score += min(0.3, 0.1 * len(words & checks.tokens(f"{snippet.title} {snippet.body}")))
        if score >= SNIPPET_MIN_SCORE:
            scored.append((score, snippet))
    scored.sort(key=lambda s: (-s[0], s[1].pk))
    return [s for _, s in scored[:SNIPPETS_IN_PROMPT]]


def ground(workspace: Workspace, text: CustomerText, snippets: list[KnowledgeSnippet]) -> dict:
    """What a draft for `text` may draw on, each item with the "ref" the model cites it by."""
    vector = _text_vector(workspace, text.pk)
    similar: list[dict] = []
    earlier: list[dict] = []
    if vector is not None:
        ranked = [pk for pk, _ in nearest(workspace, vector, SEARCH_K, TextFilters(), exclude_id=text.pk)]
        cleared = {t.pk: t for t in analysable_texts(workspace).filter(pk__in=ranked)}
        similar = [{"ref": f"text:{pk}", "text": cleared[pk].text[:QUOTE_CHARS]} for pk in ranked
                   if pk in cleared][:SIMILAR_IN_PROMPT]
        rank = {pk: i for i, pk in enumerate(ranked)}
        approved = sorted(ReplyDraft.objects.filter(workspace=workspace, status=ReplyStatus.APPROVED,
                                                    text_id__in=ranked).select_related("text"),
                          key=lambda d: (d.language != reply_language(text), rank[d.text_id], -d.pk))
        seen: set[int] = set()
        for draft in approved:
            if draft.text_id not in seen and len(earlier) < EARLIER_IN_PROMPT:
                seen.add(draft.text_id)
                earlier.append({"ref": f"reply:{draft.pk}", "customer_text": draft.text.text[:QUOTE_CHARS],
                                "reply": draft.body[:EARLIER_CHARS]})
    knowledge = [{"ref": f"snippet:{s.pk}", "title": s.title, "text": s.body[:SNIPPET_CHARS]}
                 for s in rank_snippets(workspace, snippets, text.text, vector)]
    return {"knowledge": knowledge, "similar_texts": similar, "earlier_replies": earlier}


def voice_for(workspace: Workspace, policy: ReplyPolicy) -> dict:
    """The copy studio's brand voice (read only) with the reply policy's tone: how a reply should sound."""
    voice = copy_brand_voice(workspace)
    return {"formality": voice.formality, "playfulness": voice.playfulness, "enthusiasm": voice.enthusiasm,
            "reading_level": voice.reading_level, "words_to_use": list(voice.words_to_use or []),
            "words_to_avoid": list(voice.words_to_avoid or []), "tone": policy.tone}


def allowed_for(text: CustomerText, policy: ReplyPolicy, snippets: list[KnowledgeSnippet],
                voice: dict) -> checks.Allowed:
    """What a reply to `text` may rely on: this customer's own words (never other customers'), the policy and
    every knowledge snippet of the workspace."""
    return checks.allowed_from(
        customer_text=text.text, policy_text=policy.policy, allowed_promises=policy.allowed_promises or [],
        knowledge=[f"{s.title}\n{s.body}" for s in snippets],
        extra_facts=[policy.sign_off, *([f"{text.rating} stars"] if text.rating else [])],
        banned_words=voice.get("words_to_avoid", []))


# --- drafting: generation ------------------------------------------------------------------------------------

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
    if not body or not sign_off or checks.normalise(sign_off) in checks.normalise(body):
        return body
    if checks.has_cjk(sign_off) != (language == "zh"):
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


def _sources(refs: list[str]) -> dict[str, list[int]]:
    kinds = {"text": "texts", "snippet": "snippets", "reply": "replies"}
    out: dict[str, list[int]] = {"texts": [], "snippets": [], "replies": []}
    for ref in refs:
        kind, _, number = ref.partition(":")
        if kind in kinds and number.isdigit():
            out[kinds[kind]].append(int(number))
    return out


def _store(job: Job, slots: list[Slot], generation: Generation) -> list[ReplyDraft]:
    texts = {s.key: s.text for s in slots}
    rows = [ReplyDraft(workspace_id=job.workspace_id, text=texts[key], job=job, variant=key[1], body=d.body,
                       language=d.language, points=d.points, sources=_sources(d.refs), policy_flags=d.flags,
                       attempts=d.attempts, model=d.model[:100], prompt=REPLY_PROMPT, prompt_version=REPLY_VERSION,
                       seed=d.seed, created_by_id=job.created_by_id)
            for key, d in sorted(generation.drafted.items())]
    with transaction.atomic():
        return ReplyDraft.objects.bulk_create(rows)


def run_drafts(job_id: str) -> None:
    """Task body. Safe to run again: texts that already have drafts from this job are skipped."""
    job = Job.objects.select_related("workspace").get(pk=job_id)
    if job.is_finished:
        return
    workspace = job.workspace
    ids: list[int] = job.params["text_ids"]
    variants, seed = int(job.params.get("variants", 1)), int(job.params.get("seed", 1))
    jobs.mark_running(job.pk, total=len(ids), message="Finding what each reply may draw on.")
    policy = selectors.reply_policy(workspace)
    voice = voice_for(workspace, policy)
    snippets = selectors.snippets(workspace)
    embed_snippets(workspace, snippets)
    texts = texts_by_ids(workspace, ids)  # texts erased since the job was queued are skipped
    done_ids = set(ReplyDraft.objects.filter(job=job).values_list("text_id", flat=True))
    notes: list[str] = []
    failed: list[int] = []
    done = 0
    for chunk in _chunks(ids, CHUNK_TEXTS):
        todo = [texts[i] for i in chunk if i in texts and i not in done_ids]
        if todo:
            slots = prepare_slots(workspace, todo, variants, seed, policy, voice, snippets)
            generation = generate(workspace, slots, should_cancel=lambda: jobs.cancel_requested(job.pk))
            if generation.cancelled or jobs.cancel_requested(job.pk):
                kept = ReplyDraft.objects.filter(job=job).count()
                jobs.fail(job.pk, f"Cancelled; {kept} drafts written before were kept.")
                return
            moderate_drafts(_store(job, slots, generation))
            notes += generation.notes
            failed += generation.failed
        done += len(chunk)
        jobs.set_progress(job.pk, done, message=f"{done} of {len(ids)} texts drafted and moderated.")
    drafts = ReplyDraft.objects.filter(job=job)
    count = drafts.count()
    if count == 0:
        jobs.fail(job.pk, "No reply could be drafted. " + " ".join(notes[:3])
                  + " Check the model server on the status page, then try again.")
        return
    flagged = drafts.exclude(policy_flags=[]).count()
    approved = drafts.filter(moderation_status=ModerationStatus.APPROVED).count()
    jobs.succeed(job.pk, {"drafts": count, "texts": len(ids), "flagged": flagged, "moderation_approved": approved,
                          "failed_texts": failed, "notes": notes[:50]},
                 message=f"{count} drafts for {len(ids) - len(failed)} texts; {approved} cleared by moderation"
                         + (f", {flagged} with policy flags to edit." if flagged else "."))


# --- moderation ---------------------------------------------------------------------------------------------

def moderate_drafts(drafts: list[ReplyDraft]) -> None:
    """Hand new or edited drafts to moderation (the one place that judges text) and store each verdict. When no
    model server answers, drafts the fast detectors cannot settle wait for a moderator."""
    from apps.moderation import services as moderation

    by_language: dict[str, list[ReplyDraft]] = defaultdict(list)
    for draft in drafts:
        by_language[draft.language].append(draft)
    for language, group in by_language.items():
        verdicts = moderation.moderate_generated_many(group[0].workspace, SUBJECT_TYPE,
                                                      [(d.pk, d.body) for d in group], language=language,
                                                      source="replies")
        for draft, verdict in zip(group, verdicts, strict=True):
            reason = explain_status(verdict.status, verdict.categories, verdict.rationale, verdict.offending_span)
            _set_moderation(draft, verdict.status, reason, verdict.case_id)


def _set_moderation(draft: ReplyDraft, status: str, reason: str, case_id: int | None) -> None:
    draft.moderation_status, draft.moderation_reason, draft.moderation_case_id = status, reason[:2000], case_id
    fields = {"moderation_status": status, "moderation_reason": draft.moderation_reason,
              "moderation_case_id": case_id, "updated_at": timezone.now()}
    if status != ModerationStatus.APPROVED and draft.status == ReplyStatus.APPROVED:
        draft.status, draft.approved_by, draft.approved_at = ReplyStatus.DRAFT, None, None  # a later rejection
        fields |= {"status": ReplyStatus.DRAFT, "approved_by": None, "approved_at": None}  # withdraws approval
    ReplyDraft.objects.filter(pk=draft.pk).update(**fields)


def apply_moderation_outcome(workspace_id: int, changes: list[dict]) -> None:
    """Moderation decided on drafts (its judge finished, or a moderator approved, edited or rejected one): store
    the status and the reason. A moderator's edit becomes the draft's body (checked against the policy again)."""
    from apps.moderation import selectors as moderation

    ids = [int(c["subject_id"]) for c in changes if str(c.get("subject_id", "")).isdigit()]
    drafts = {d.pk: d for d in ReplyDraft.objects.filter(workspace_id=workspace_id, pk__in=ids)
              .select_related("text", "workspace")}
    for change in changes:
        draft = drafts.get(int(change["subject_id"])) if str(change.get("subject_id", "")).isdigit() else None
        if draft is None:
            continue
        case = moderation.get_case(draft.workspace, change["case_id"]) if change.get("case_id") else None
        note = ""
        if case is not None and case.decision:
            trail = moderation.audit_trail(case)
            note = trail[-1].note if trail else ""
        if change.get("text") and change["text"] != draft.body:
            _take_text(draft, change["text"], "moderator edit", case.decided_by if case else None)
        reason = explain_status(change["status"], list(case.categories) if case else [], case.rationale if case else "",
                         case.offending_span if case else "", note)
        _set_moderation(draft, change["status"], reason, change.get("case_id"))


# --- people's actions on drafts -------------------------------------------------------------------------------

def _draft(ctx: WorkspaceContext, draft_id: int) -> ReplyDraft:
    draft = selectors.get_draft(ctx.workspace, draft_id)
    if draft is None:
        raise NotFound("No such reply draft in this workspace.")
    return draft


def _take_text(draft: ReplyDraft, body: str, why: str, user) -> None:
    """A new body for the draft: the old one goes to its history, the policy checks run again."""
    policy = selectors.reply_policy(draft.workspace)
    snippets = selectors.snippets(draft.workspace)
    language = reply_language(draft.text)
    entry = {"body": draft.body, "why": why, "at": timezone.now().isoformat(), "by": getattr(user, "username", None),
             "status": draft.status, "moderation_status": draft.moderation_status}
    draft.history = [*draft.history, entry][-HISTORY_KEPT:]
    draft.body = body
    draft.policy_flags = flags_for(body, allowed_for(draft.text, policy, snippets, voice_for(draft.workspace, policy)),
                                   language)
    draft.language = language if checks.language_matches(body, language) else (checks.written_in(body) or "")
    draft.edited = True
    draft.save(update_fields=["history", "body", "policy_flags", "language", "edited", "updated_at"])


def edit_draft(ctx: WorkspaceContext, draft_id: int, body: str) -> ReplyDraft:
    """A person's edit: checked against the policy again, any approval withdrawn, and moderated again."""
    ctx.require(ANALYZE)
    draft = _draft(ctx, draft_id)
    body = (body or "").strip()
    if not body:
        raise ReplyError("The reply cannot be empty.")
    if len(body) > EDIT_MAX_CHARS:
        raise ReplyError(f"Keep the reply under {EDIT_MAX_CHARS} characters.")
    if body == draft.body:
        return draft
    _take_text(draft, body, "edit", ctx.user)
    draft.status, draft.approved_by, draft.approved_at = ReplyStatus.DRAFT, None, None
    draft.moderation_status, draft.moderation_reason = ModerationStatus.UNCHECKED, ""
    draft.save(update_fields=["status", "approved_by", "approved_at", "moderation_status", "moderation_reason",
                              "updated_at"])
    moderate_drafts([draft])
    return draft


BLOCKING_FLAGS_EXCLUDE = (checks.LANGUAGE,)  # a person may knowingly answer in another language


def blocking_flags(draft: ReplyDraft) -> list[dict]:
    return [f for f in draft.policy_flags or [] if f.get("kind") not in BLOCKING_FLAGS_EXCLUDE]


def approve_draft(ctx: WorkspaceContext, draft_id: int) -> ReplyDraft:
    """A person approves a reply for posting; refused until moderation approved this exact body and no policy
    flag is left."""
    ctx.require(ANALYZE)
    draft = _draft(ctx, draft_id)
    if draft.status == ReplyStatus.APPROVED:
        return draft
    if draft.moderation_status != ModerationStatus.APPROVED:
        if draft.moderation_status in (ModerationStatus.REJECTED, ModerationStatus.HIDDEN):
            raise ReplyConflict("Moderation rejected this reply" + (f" ({draft.moderation_reason})"
                                                                    if draft.moderation_reason else "")
                                + ". Edit it (it is moderated again) or draft a new one.")
        raise ReplyConflict(f"Moderation has not approved this reply yet (it is {draft.moderation_status}); "
                            "approve it once moderation has.")
    flags = blocking_flags(draft)
    if flags:
        quoted = ", ".join(f"“{f['text']}”" for f in flags[:5])
        raise ReplyConflict(f"This reply states or offers what the reply policy does not cover ({quoted}). "
                            "Edit those parts out, then approve.")
    draft.status, draft.approved_by, draft.approved_at = ReplyStatus.APPROVED, ctx.user, timezone.now()
    draft.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return draft


def reject_draft(ctx: WorkspaceContext, draft_id: int) -> ReplyDraft:
    ctx.require(ANALYZE)
    draft = _draft(ctx, draft_id)
    draft.status, draft.approved_by, draft.approved_at = ReplyStatus.REJECTED, None, None
    draft.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return draft


def forget_texts(workspace: Workspace, text_ids: list[int]) -> int:
    """For erasure: drop erased texts from the sources of other drafts (drafts answering them cascade away).
    Returns how many drafts changed."""
    gone = set(text_ids)
    changed = []
    for draft in ReplyDraft.objects.filter(workspace=workspace).only("pk", "sources").iterator(chunk_size=1000):
        cited = (draft.sources or {}).get("texts", [])
        if gone.intersection(cited):
            draft.sources = {**draft.sources, "texts": [i for i in cited if i not in gone]}
            changed.append(draft)
    ReplyDraft.objects.bulk_update(changed, ["sources"], batch_size=1000)
    return len(changed)


# --- translation ----------------------------------------------------------------------------------------------

@dataclass
class TranslationOutcome:
    text_id: int
    target_language: str
    source_language: str
    translated_text: str = ""
    same_language: bool = False
    cached: bool = False
    model: str = ""
    error: str = ""
    created_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.error


def split_for_translation(text: str, size: int = TRANSLATE_PIECE_CHARS) -> list[str]:
    """Pieces of at most `size` characters, cut after paragraphs or sentences where possible."""
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    sentences = [s for s in re.split(r"(?<=[.!?。！？\n])\s*", text) if s.strip()]
    pieces, current = [], ""
    for sentence in sentences:
        while len(sentence) > size:  # one very long sentence: cut it hard
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:size])
            sentence = sentence[size:]
        joiner = "" if not current or checks.has_cjk(current[-1:]) else " "
        if len(current) + len(joiner) + len(sentence) > size:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current}{joiner}{sentence}" if current else sentence
    if current:
        pieces.append(current)
    return pieces


def _outcome(translation: TextTranslation, cached: bool) -> TranslationOutcome:
    return TranslationOutcome(translation.text_id, translation.target_language, translation.source_language,
                              translation.translated_text, cached=cached, model=translation.model,
                              created_at=translation.created_at)


def translate_texts(workspace: Workspace, texts: list[CustomerText], language: str,
                    should_cancel: Callable[[], bool] | None = None) -> list[TranslationOutcome]:
    """Translations of `texts` into `language`: the cached ones, or new ones asked of the gateway at once (each
    checked for the target language and asked again with another seed when it is not). Texts already in that
    language are returned as they are, without a model call."""
    outcomes: dict[int, TranslationOutcome] = {}
    hashes = {t.pk: text_hash(t.text) for t in texts}
    cached = {tr.text_id: tr for tr in TextTranslation.objects.filter(text__in=texts, target_language=language)}
    todo: list[CustomerText] = []
    for text in texts:
        source = reply_language(text)
        hit = cached.get(text.pk)
        if source == language:
            outcomes[text.pk] = TranslationOutcome(text.pk, language, source, text.text, same_language=True)
        elif hit is not None and hit.source_hash == hashes[text.pk]:
            outcomes[text.pk] = _outcome(hit, cached=True)
        else:
            todo.append(text)
    pieces = [(text, piece) for text in todo for piece in split_for_translation(text.text)]
    results = _translate_pieces(workspace, [p for _, p in pieces], language, should_cancel)
    by_text: dict[int, list] = defaultdict(list)
    for (text, _), result in zip(pieces, results, strict=True):
        by_text[text.pk].append(result)
    for text in todo:
        parts = by_text.get(text.pk, [])
        problem = next((p for p in parts if isinstance(p, str)), None)
        if problem is not None or not parts:
            outcomes[text.pk] = TranslationOutcome(text.pk, language, reply_language(text),
                                                   error=problem or "The text is empty.")
            continue
        joiner = "" if language in ("zh", "ja") else " "
        translated = joiner.join(p.output.translation.strip() for p in parts)
        model = next((p.model for p in parts if p.model), "")
        translation, _ = TextTranslation.objects.update_or_create(
            text=text, target_language=language,
            defaults={"workspace": workspace, "source_language": reply_language(text), "translated_text": translated,
                      "source_hash": hashes[text.pk], "model": model[:100], "prompt": TRANSLATE_PROMPT,
                      "prompt_version": TRANSLATE_VERSION})
        outcomes[text.pk] = _outcome(translation, cached=False)
    return [outcomes[t.pk] for t in texts]


def _translate_pieces(workspace: Workspace, pieces: list[str], language: str,
                      should_cancel: Callable[[], bool] | None) -> list[LLMResult | str]:
    """One result per piece, or a sentence saying why there is none."""
    results: list[LLMResult | str] = ["The translation was not attempted."] * len(pieces)
    name = language_name(language)

    def request_for(index: int, attempt: int) -> LLMRequest:
        return LLMRequest(TRANSLATE_PROMPT, TRANSLATE_VERSION, {"target_language": name, "text": pieces[index]},
                          TranslationOutput, max_tokens=TRANSLATE_MAX_TOKENS,
                          temperature=0.0 if attempt == 0 else RETRY_TEMPERATURE, seed=attempt)

    def rejects(index: int, outcome, attempt: int) -> bool:
        if isinstance(outcome, LLMCancelled):
            results[index] = "Cancelled."
            return False
        if not isinstance(outcome, LLMResult):
            results[index] = str(outcome)
        elif not outcome.output.translation.strip():
            results[index] = "The model returned an empty translation."
        elif not checks.language_matches(outcome.output.translation, language):
            results[index] = (f"The model did not answer in {name} after {TRANSLATE_ATTEMPTS} tries; "
                              "try again later or ask an owner to choose a stronger model.")
        elif not checks.plausible_translation(pieces[index], outcome.output.translation):
            results[index] = (f"The model's answers were not a translation into {name} (far too short or too "
                              "long); try again later or ask an owner to choose a stronger model.")
        else:
            results[index] = outcome
            return False
        return True

    run_in_rounds(get_gateway(), range(len(pieces)), request_for, rejects, attempts=TRANSLATE_ATTEMPTS,
                  workspace=workspace, feature="translation", should_cancel=should_cancel)
    return results


def translate_text(ctx: WorkspaceContext, text_id: int, language: str | None = None) -> TranslationOutcome:
    """One text for the reader: in the language asked for, or the reader's preferred one."""
    ctx.require(VIEW)
    code = valid_language(language) if language else selectors.reading_language(ctx.user)
    text = get_text(ctx.workspace, text_id)
    if text is None:
        raise NotFound("No such text in this workspace.")
    outcome = translate_texts(ctx.workspace, [text], code)[0]
    if outcome.error:
        raise TranslationFailed(outcome.error)
    return outcome


def start_translations(ctx: WorkspaceContext, selection: Selection, language: str) -> Job:
    ctx.require(ANALYZE)
    code = valid_language(language)
    ids = resolve_texts(ctx, selection, MAX_TRANSLATIONS_PER_JOB)
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "translations", total=len(ids), user=ctx.user,
                              message=f"Queued: translating {len(ids)} texts into {language_name(code)}.",
                              params={"text_ids": ids, "language": code, "selection": selection.describe()})
        resend_translations(job)
    return job


def resend_translations(job: Job) -> None:
    """Queue the translation task; also how a failed job is retried (finished translations are cached)."""
    from .tasks import translate_texts_task

    jobs.publish_on_commit(job.pk, lambda: translate_texts_task.delay(job_id=str(job.pk)))


def run_translations(job_id: str) -> None:
    """Task body. Safe to run again: finished translations are cached and cost nothing the second time."""
    job = Job.objects.select_related("workspace").get(pk=job_id)
    if job.is_finished:
        return
    ids, language = job.params["text_ids"], job.params["language"]
    jobs.mark_running(job.pk, total=len(ids), message=f"Translating into {language_name(language)}.")
    texts = texts_by_ids(job.workspace, ids)
    counts = {"translated": 0, "cached": 0, "same_language": 0, "failed": 0}
    errors: list[str] = []
    done = 0
    for chunk in _chunks(ids, TRANSLATE_CHUNK_TEXTS):
        if jobs.cancel_requested(job.pk):
            jobs.fail(job.pk, f"Cancelled; {counts['translated']} translations made before were kept.")
            return
        present = [texts[i] for i in chunk if i in texts]
        for outcome in translate_texts(job.workspace, present, language,
                                       should_cancel=lambda: jobs.cancel_requested(job.pk)):
            key = ("failed" if outcome.error else "same_language" if outcome.same_language
                   else "cached" if outcome.cached else "translated")
            counts[key] += 1
            if outcome.error:
                errors.append(f"Text #{outcome.text_id}: {outcome.error}")
        done += len(chunk)
        jobs.set_progress(job.pk, done, message=f"{done} of {len(ids)} texts translated.")
    if counts["failed"] and counts["failed"] == len(texts):
        jobs.fail(job.pk, errors[0] if errors else "No text could be translated.")
        return
    jobs.succeed(job.pk, {**counts, "language": language, "errors": errors[:20]},
                 message=f"{counts['translated']} translated, {counts['cached']} already cached, "
                         f"{counts['same_language']} already in {language_name(language)}"
                         + (f", {counts['failed']} failed." if counts["failed"] else "."))
