"""Writes of translation. One module per sub-domain, all re-exported here, so callers import
`apps.translation.services` as one:

    languages    the languages a reader may choose, a customer's language, a language's name (replies' too)
    selection    the texts a bulk job works on (ids, or filters and analysis signals; replies' drafting too)
    translation  translations into each reader's language, on demand and as a job; the reading language
    errors       TranslationError (400), TranslationFailed (502)

Translations are generated on demand through the gateway, checked for the target language and kept in
TextTranslation (one per text and language). A bulk translation is a job on the `llm` queue.

The constants are re-exported to be read. A test that changes one, or replaces a function, patches the module
that looks it up (`services.translation.TRANSLATE_ATTEMPTS`): the package's copy is read by nobody. No private
name and not `get_gateway` is re-exported (the fake model replaces the gateway at its source).
"""

from .errors import TranslationError, TranslationFailed
from .languages import language_name, reply_language, valid_language
from .selection import Selection, resolve_texts
from .translation import (
    MAX_TRANSLATIONS_PER_JOB,
    RETRY_TEMPERATURE,
    TRANSLATE_ATTEMPTS,
    TRANSLATE_CHUNK_TEXTS,
    TRANSLATE_MAX_TOKENS,
    TRANSLATE_PIECE_CHARS,
    TRANSLATE_PROMPT,
    TRANSLATE_VERSION,
    TranslationOutcome,
    resend_translations,
    run_translations,
    set_reading_language,
    split_for_translation,
    start_translations,
    translate_text,
    translate_texts,
)

__all__ = [
    "MAX_TRANSLATIONS_PER_JOB", "RETRY_TEMPERATURE", "TRANSLATE_ATTEMPTS", "TRANSLATE_CHUNK_TEXTS",
    "TRANSLATE_MAX_TOKENS", "TRANSLATE_PIECE_CHARS", "TRANSLATE_PROMPT", "TRANSLATE_VERSION", "Selection",
    "TranslationError", "TranslationFailed", "TranslationOutcome", "language_name", "reply_language",
    "resend_translations", "resolve_texts", "run_translations", "set_reading_language", "split_for_translation",
    "start_translations", "translate_text", "translate_texts", "valid_language",
]
