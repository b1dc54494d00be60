"""Structured outputs of the reply and translation prompts (sent to vLLM as JSON schemas, validated on return)."""

from typing import Annotated

from pydantic import BaseModel, Field


class ReplyOutput(BaseModel):
    points: list[Annotated[str, Field(max_length=300)]] = Field(
        max_length=8, description="the points the customer raised, one short phrase each")
    reply: str = Field(max_length=3000)
    sources: list[Annotated[str, Field(max_length=40)]] = Field(
        max_length=8, description='refs of the material used, such as "snippet:3" or "text:12"')


class TranslationOutput(BaseModel):
    translation: str = Field(max_length=6000)
