"""The language model labels the texts the classifier is least sure of (TnT-LLM's division of work: the
model labels a budgeted sample, the light classifier everything else).

`MURMUR_LLM_LABEL_BUDGET` texts per analysis (lowest confidence first; 0 turns it off, a large number on a
GPU server labels every text). The model's label replaces the classifier's only where the classifier was
unsure; where the two agree the confidence rises. Corrected texts are never touched. The labels also teach
nothing to the classifier: only people's corrections do, so a model's mistakes cannot compound.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from pydantic import Field, create_model

from apps.accounts.models import Workspace
from apps.llm.gateway import LLMRequest, LLMResult, get_gateway, run_in_rounds

from .models import TextAnalysis
from .schemas import SentimentLabels, TextSentiment
from .sentiment import LOW_CONFIDENCE

PROMPT = ("insights/sentiment", 1)
BATCH = 10  # texts per request: short answers, and one bad answer costs little
AGREED_CONFIDENCE = 0.85  # classifier and model agree
MODEL_CONFIDENCE = 0.65  # the model alone, over an unsure classifier: just above "low confidence"


def uncertain_texts(workspace: Workspace, text_ids, budget: int) -> list[tuple[int, str, str]]:
    """(text id, text, current sentiment) of the least confident classifier verdicts, at most `budget`."""
    rows = (TextAnalysis.objects.filter(workspace=workspace, text_id__in=text_ids, sentiment_method="classifier",
                                        sentiment_confidence__lt=LOW_CONFIDENCE)
            .order_by("sentiment_confidence", "text_id").values_list("text_id", "text__text", "sentiment")[:budget])
    return list(rows)


@cache
def _schema_for(size: int) -> type[SentimentLabels]:
    """SentimentLabels that must hold exactly `size` labels: with a schema that allows an empty list, the
    small CPU model answered `{"labels": []}` to every batch."""
    return create_model(f"SentimentLabels{size}", __base__=SentimentLabels,
                        labels=(list[TextSentiment], Field(min_length=size, max_length=size)))


def _request(batch: list[tuple[int, str, str]], attempt: int) -> LLMRequest:
    texts = [{"id": pk, "text": text[:1000]} for pk, text, _ in batch]
    return LLMRequest(*PROMPT, {"texts": texts}, _schema_for(len(batch)),
                      max_tokens=20 * len(batch) + 20, seed=attempt, temperature=0.0 if attempt == 0 else 0.3)


def label_uncertain(workspace: Workspace, text_ids, *, budget: int | None = None,
                    should_cancel: Callable[[], bool] | None = None) -> dict[str, int]:
    """Ask the model about the least confident texts; store what it says. Returns counts for the run notes."""
    budget = settings.MURMUR_LLM_LABEL_BUDGET if budget is None else budget
    todo = uncertain_texts(workspace, text_ids, budget) if budget > 0 else []
    counts = {"asked": len(todo), "agreed": 0, "changed": 0, "unanswered": 0, "calls": 0}
    if not todo:
        return counts
    batches = [todo[i:i + BATCH] for i in range(0, len(todo), BATCH)]
    answers: dict[int, str] = {}

    def rejects(batch, outcome, attempt) -> bool:
        if not isinstance(outcome, LLMResult):
            return True
        wanted = {pk for pk, _, _ in batch}
        got = {label.id: label.sentiment for label in outcome.output.labels if label.id in wanted}
        answers.update(got)
        return len(got) < len(wanted) / 2  # most ids missing: ask again once

    rounds = run_in_rounds(get_gateway(), batches, _request, rejects, attempts=2, workspace=workspace,
                           feature="sentiment", should_cancel=should_cancel)
    counts["calls"] = rounds.calls
    for pk, _, current in todo:
        label = answers.get(pk)
        if label is None:
            counts["unanswered"] += 1
        elif label == current:
            counts["agreed"] += 1
            TextAnalysis.objects.filter(text_id=pk, sentiment_method="classifier").update(
                sentiment_method="classifier+llm", sentiment_confidence=AGREED_CONFIDENCE)
        else:
            counts["changed"] += 1
            score = {"positive": 0.5, "negative": -0.5}.get(label, 0.0)
            TextAnalysis.objects.filter(text_id=pk, sentiment_method="classifier").update(
                sentiment=label, sentiment_score=score, sentiment_method="llm", sentiment_confidence=MODEL_CONFIDENCE)
    return counts
