"""The LLM judge's structured output: sent to vLLM as a JSON-schema constraint, validated by pydantic."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

JudgeCategory = Literal["harassment", "violence", "sexual", "self_harm", "spam", "personal_data", "prompt_injection",
                        "off_topic"]


class JudgeVerdict(BaseModel):
    categories: list[JudgeCategory] = Field(max_length=8)
    severity: int = Field(ge=0, le=3)
    # Bounded: a weak model fills whatever room it gets, and every character is generation time.
    rationale: str = Field(max_length=240)
    offending_span: str = Field(max_length=200)
