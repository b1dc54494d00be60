"""Structured outputs of the insight prompts (sent to vLLM as JSON schemas, validated on return)."""

from typing import Literal

from pydantic import BaseModel, Field


class Finding(BaseModel):
    title: str = Field(max_length=160)
    detail: str = Field(max_length=600)
    evidence: list[int] = Field(max_length=6, description="ids of the customer texts that support it")


class ThemeAnalysis(BaseModel):
    label: str = Field(max_length=60, description="2-6 words from the texts that set this theme apart")
    summary: str = Field(max_length=500, description="at most two complete sentences")
    pain_points: list[Finding] = Field(max_length=3)
    feature_requests: list[Finding] = Field(max_length=3)
    praise: list[Finding] = Field(max_length=2)


class ThemeLabel(BaseModel):
    """A second try at a theme's name alone, after the first one failed the grounding checks."""

    label: str = Field(max_length=60, description="2-6 words from the texts that set this theme apart")


class CompetitorFinding(BaseModel):
    name: str = Field(max_length=60)
    detail: str = Field(max_length=400)
    evidence: list[int] = Field(max_length=6)


class ReportDraft(BaseModel):
    summary: str = Field(max_length=1500, description="executive summary for the founders")
    opportunities: list[Finding] = Field(max_length=4)
    product_ideas: list[Finding] = Field(max_length=4)
    competitors: list[CompetitorFinding] = Field(max_length=4)


class TextSentiment(BaseModel):
    id: int
    sentiment: Literal["positive", "negative", "neutral", "mixed"]


class SentimentLabels(BaseModel):
    """The model's sentiment for a batch of low-confidence texts (`prompts/sentiment.v1.md`)."""

    labels: list[TextSentiment] = Field(max_length=40)
