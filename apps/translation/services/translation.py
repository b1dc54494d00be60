"""Translations of texts into each reader's language, generated on demand through the gateway, checked
for the target language and kept in TextTranslation (one per text and language). A bulk translation
is a job like drafting."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import ANALYZE, VIEW
from apps.core.errors import NotFound
from apps.corpus.models import CustomerText
from apps.corpus.selectors import get_text, texts_by_ids
from apps.corpus.tokens import has_cjk
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.llm.gateway import LLMCancelled, LLMRequest, LLMResult, get_gateway, run_in_rounds

from .. import checks, selectors
from ..models import TextTranslation, UserLanguage
from ..schemas import TranslationOutput
from ..selectors import text_hash
from .errors import TranslationError, TranslationFailed
from .languages import language_name, reply_language, valid_language
from .selection import Selection, _chunks, resolve_texts

TRANSLATE_PROMPT, TRANSLATE_VERSION = "translation/translate", 1
RETRY_TEMPERATURE = 0.8  # a try after a refused answer, as replies' drafts (apps/replies/services/generation.py)
MAX_TRANSLATIONS_PER_JOB = 1000
TRANSLATE_ATTEMPTS = 3
TRANSLATE_CHUNK_TEXTS = 32
TRANSLATE_PIECE_CHARS = 400
TRANSLATE_MAX_TOKENS = 600


def set_reading_language(ctx: WorkspaceContext, language: str) -> str:
    """Anyone sets the language they read customer texts in."""
    ctx.require(VIEW)
    code = valid_language(language)
    if ctx.user is None or not ctx.user.pk:
        raise TranslationError("Only a signed-in person has a reading language.")
    UserLanguage.objects.update_or_create(user=ctx.user, defaults={"language": code})
    return code


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
        joiner = "" if not current or has_cjk(current[-1:]) else " "
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
    from ..tasks import translate_texts_task

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
