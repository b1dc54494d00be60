from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from apps.accounts.permissions import MANAGE

from . import selectors, services
from .interactive import interactive_llm

router = Router(tags=["llm"])


class PlaygroundIn(Schema):
    question: str


class PlaygroundOut(Schema):
    answer: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: int
    cached: bool


class BatchIn(Schema):
    questions: list[str]


class LLMJobAccepted(Schema):
    job_id: str


class BudgetIn(Schema):
    monthly_tokens: int | None


def _storable(text: str) -> bool:
    """Whether Postgres can store the text: no NUL, and valid UTF-8 (no lone surrogate from a JSON escape)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@router.post("/llm/test", response=PlaygroundOut)
def test_model(request: HttpRequest, payload: PlaygroundIn):
    if not payload.question.strip():
        raise HttpError(400, "Ask a question.")
    with interactive_llm(request.auth.user):  # LLMError: 503 (config/api.py), LLMRateLimited: 429
        return services.ask_playground(request.auth, payload.question)


@router.post("/llm/batch", response={202: LLMJobAccepted})
def question_batch(request: HttpRequest, payload: BatchIn):
    if len(payload.questions) > 1000:
        raise HttpError(400, "At most 1000 questions per batch.")
    if not all(map(_storable, payload.questions)):
        raise HttpError(400, "A question holds a NUL character or broken Unicode.")
    try:
        job = services.start_question_batch(request.auth, payload.questions)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc
    return 202, {"job_id": str(job.pk)}


@router.get("/llm/usage")
def usage(request: HttpRequest):
    request.auth.require(MANAGE)
    return {"features": selectors.usage_by_feature(request.auth.workspace),
            "budget": selectors.budget_state(request.auth.workspace)}


@router.put("/llm/budget")
def budget(request: HttpRequest, payload: BudgetIn):
    if payload.monthly_tokens is not None and payload.monthly_tokens < 0:
        raise HttpError(400, "monthly_tokens must be positive, or null for no limit.")
    services.set_budget(request.auth, payload.monthly_tokens)
    return selectors.budget_state(request.auth.workspace)
