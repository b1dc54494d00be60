"""The LLM judge's structured output: sent to vLLM as a JSON-schema constraint, validated by pydantic."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

JudgeCategory = Literal["harassment", "violence", "sexual", "self_harm", "spam", "personal_data", "prompt_injection",
                        "off_topic"]


class JudgeVerdict(BaseModel):
    categories: list[JudgeCategory] = Field(max_length=8)
    severity: int = Field(ge=0, le=3)
    rationale: str = Field(max_length=400)
    offending_span: str = Field(max_length=300)
