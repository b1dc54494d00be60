"""Structured output of the translation prompt (sent to vLLM as a JSON schema, validated on return)."""

from pydantic import BaseModel, Field


class TranslationOutput(BaseModel):
    translation: str = Field(max_length=6000)
