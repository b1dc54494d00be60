"""Structured outputs of the copy prompts (sent to vLLM as JSON schemas, validated on return)."""

from pydantic import BaseModel, Field


class DraftVariant(BaseModel):
    headline: str = Field(max_length=200, description="headline, subject line or title, by channel")
    body: str = Field(max_length=1500)
    call_to_action: str = Field(max_length=80)
    sources: list[int] = Field(max_length=6, description="ids of the customer quotes that inspired it")


class IdeaDraft(BaseModel):
    title: str = Field(max_length=160)
    detail: str = Field(max_length=600)
    evidence: list[int] = Field(max_length=6, description="ids of the customer texts that support it")


class IdeaList(BaseModel):
    product_ideas: list[IdeaDraft] = Field(max_length=5)
    positioning_angles: list[IdeaDraft] = Field(max_length=4)
