"""Structured output of the reply prompt (sent to vLLM as a JSON schema, validated on return); translation's:
apps/translation/schemas.py."""

from typing import Annotated

from pydantic import BaseModel, Field


class ReplyOutput(BaseModel):
    points: list[Annotated[str, Field(max_length=300)]] = Field(
        max_length=8, description="the points the customer raised, one short phrase each")
    reply: str = Field(max_length=3000)
    sources: list[Annotated[str, Field(max_length=40)]] = Field(
        max_length=8, description='refs of the material used, such as "snippet:3" or "text:12"')

