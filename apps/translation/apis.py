"""Translation JSON API: translations of texts (on demand or as a job) and the reader's language.

These operations began in apps/replies/apis.py and keep the API they had there: the same paths, the `replies`
tag and their operation ids (`apps_replies_apis_…`), so the OpenAPI schema and generated clients do not change.
The request schemas shared with replies' drafting (FiltersIn, ReplyJobAccepted) are defined here, once."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from apps.corpus.apis import TextFilterParams
from apps.corpus.selectors import TextFilters
from apps.llm.interactive import interactive_llm

from . import selectors, services
from .models import LANGUAGES

router = Router(tags=["replies"])


class FiltersIn(TextFilterParams):
    """The texts page's filters (corpus), plus the latest analysis's sentiment and theme."""

    sentiment: str | None = None
    theme: int | None = None


class TranslationsIn(Schema):
    text_ids: list[int] | None = None
    filters: FiltersIn | None = None
    lang: str | None = None


# A job of reply drafts or of translations was accepted (the name is the API schema's since both were replies').
class ReplyJobAccepted(Schema):
    job_id: UUID
    texts: int


class LanguageIn(Schema):
    language: str


def selection_from(text_ids: list[int] | None, filters: FiltersIn | None) -> services.Selection:
    if text_ids is None and filters is None:
        raise HttpError(400, "Give `text_ids`, or `filters` that choose the texts.")
    if text_ids is not None:
        return services.Selection(text_ids=text_ids)
    data = filters.dict()
    sentiment, theme = data.pop("sentiment"), data.pop("theme")
    return services.Selection(filters=TextFilters(**data), sentiment=sentiment, theme=theme)


@router.get("/texts/{text_id}/translation", operation_id="apps_replies_apis_text_translation")
def text_translation(request: HttpRequest, text_id: int, lang: str | None = None):
    """The text in `lang` (default: the reader's language), generated on first request and cached. Generating
    waits at most LLM_SYNC_TIMEOUT_S (503 after) and counts against the per-user limit (429); for many texts,
    POST /translations starts a job."""
    with interactive_llm(request.auth.user):
        outcome = services.translate_text(request.auth, text_id, lang)
    return {"text_id": outcome.text_id, "language": outcome.target_language,
            "source_language": outcome.source_language, "translation": outcome.translated_text,
            "same_language": outcome.same_language, "cached": outcome.cached, "model": outcome.model,
            "prompt": {"name": services.TRANSLATE_PROMPT, "version": services.TRANSLATE_VERSION},
            "created_at": outcome.created_at}


@router.post("/translations", response={202: ReplyJobAccepted}, operation_id="apps_replies_apis_bulk_translations")
def bulk_translations(request: HttpRequest, payload: TranslationsIn):
    selection = selection_from(payload.text_ids, payload.filters)
    language = payload.lang or selectors.reading_language(request.auth.user)
    job = services.start_translations(request.auth, selection, language)
    return 202, {"job_id": job.pk, "texts": job.total}


@router.get("/me/language", operation_id="apps_replies_apis_my_language")
def my_language(request: HttpRequest):
    return {"language": selectors.reading_language(request.auth.user), "choices": LANGUAGES}


@router.put("/me/language", operation_id="apps_replies_apis_set_my_language")
def set_my_language(request: HttpRequest, payload: LanguageIn):
    return {"language": services.set_reading_language(request.auth, payload.language), "choices": LANGUAGES}
