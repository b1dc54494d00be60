"""Structured outputs of the copy prompts (sent to vLLM as JSON schemas, validated on return)."""

from pydantic import BaseModel, Field


class DraftVariant(BaseModel):
    headline: str = Field(max_length=200, description="headline, subject line or title, by channel")
    body: str = Field(max_length=1500)
    call_to_action: str = Field(max_length=80)
    sources: list[int] = Field(max_length=6, description="ids of the customer quotes that inspired it")


HAN = "\u4e00-\u9fff"


def opens_in_chinese(limit: int) -> str:
    """A pattern for a JSON-schema string that vLLM enforces while decoding: the text opens with a Chinese
    character, then at most `limit - 1` more (xgrammar refuses `maxLength` beside a pattern, so the bound is
    inside it). Once it has started in Chinese, the model keeps writing Chinese."""
    return f'^[{HAN}](?:[^"\\\\]|\\\\.){{0,{limit - 1}}}$'


class DraftVariantInChinese(DraftVariant):
    """The schema of the second attempt at a Chinese variant whose first answer was written in another
    language: every text field must open with a Chinese character (constrained decoding, not a request the
    small model can ignore). Brand names in Latin letters may still follow."""

    headline: str = Field(pattern=opens_in_chinese(200), description="headline, subject line or title, by channel")
    body: str = Field(pattern=opens_in_chinese(1500))
    call_to_action: str = Field(pattern=opens_in_chinese(80))


class IdeaDraft(BaseModel):
    title: str = Field(max_length=160)
    detail: str = Field(max_length=600)
    evidence: list[int] = Field(max_length=6, description="ids of the customer texts that support it")


class IdeaList(BaseModel):
    product_ideas: list[IdeaDraft] = Field(max_length=5)
    positioning_angles: list[IdeaDraft] = Field(max_length=4)
