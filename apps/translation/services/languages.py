"""Languages: the ones a reader may choose, a customer's language, and a language's name in prompts (replies'
prompts too)."""

from __future__ import annotations

from apps.corpus.language import detect_language
from apps.corpus.models import CustomerText

from ..models import LANGUAGES
from .errors import TranslationError


def valid_language(language: str) -> str:
    code = str(language or "").strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        raise TranslationError(f"Choose a language: {', '.join(LANGUAGES)}.")
    return code


def reply_language(text: CustomerText) -> str:
    """The customer's language: what the import found, else detected, else English."""
    code = (text.language or "").strip().lower().split("-")[0]
    return code or detect_language(text.text) or "en"


def language_name(code: str) -> str:
    return LANGUAGES.get(code, f"the language with ISO 639-1 code '{code}'")
