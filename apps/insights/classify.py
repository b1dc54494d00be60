"""Per-text signals from cheap offline models: never an LLM call per text.

Sentiment comes from `sentiment.py` (a classifier over sentence embeddings and lexicon scores, with the star
rating as evidence). Intent comes from cue phrases in both languages, falling back on the sentiment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .sentiment import ReadsSentiment, classify_sentiment

FEATURE_CUES = re.compile(
    r"\b(?:please (?:add|make|let|bring|support|include|consider)|would love|i'?d love|wish (?:it|there|you|they)|"
    r"would be (?:great|nice|awesome|helpful)|feature request|could you (?:add|make|include)|"
    r"can you (?:add|make|include)|should (?:add|have|support|include|offer)|needs? (?:a|an|to support|more)|"
    r"hope you (?:add|will)|add support for|it'?d be nice|why not add|bring back|an option to|"
    r"(?:give|let) us (?:an?|the) option)\b"
    r"|希望|建议|能不能|能否|要是有|如果有|期待|增加|加个|加一个|支持一下|出个|什么时候(?:能|出|支持)|盼望|求(?:出|加|更新)",
    re.IGNORECASE,
)
QUESTION_CUES = re.compile(
    r"\?\s*$|？|^(?:how|why|what|when|where|which|can|could|does|do|is|are|will|would|has|have|anyone)\b|"
    r"怎么|如何|为什么|请问|是否|吗[？?]?\s*$|呢[？?]?\s*$",
    re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class TextSignals:
    sentiment: str
    score: float
    confidence: float
    method: str
    intent: str


def intent_of(text: str, sentiment: str) -> str:
    if FEATURE_CUES.search(text):
        return "feature_request"
    if QUESTION_CUES.search(text.strip()[:2000]):
        return "question"
    return {"negative": "complaint", "positive": "praise", "mixed": "complaint"}.get(sentiment, "other")


def classify_many(model: ReadsSentiment, texts: Sequence[str], ratings: Sequence[int | None]) -> list[TextSignals]:
    verdicts = classify_sentiment(model, texts, ratings)
    return [TextSignals(sentiment=v.sentiment, score=v.score, confidence=v.confidence, method=v.method,
                        intent=intent_of(text, v.sentiment))
            for text, v in zip(texts, verdicts, strict=True)]
