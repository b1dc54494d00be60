"""Structured outputs of the copy prompts (sent to vLLM as JSON schemas, validated on return)."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field


class DraftVariant(BaseModel):
    headline: str = Field(max_length=200, description="headline, subject line or title, by channel")
    body: str = Field(max_length=1500)
    call_to_action: str = Field(max_length=80)
    sources: list[int] = Field(max_length=6, description="ids of the customer quotes that inspired it")


HAN = "\u4e00-\u9fff"
# A JSON-schema pattern that vLLM enforces while decoding: the text opens with a Chinese character (once it has
# started in Chinese, the model keeps writing Chinese). Unbounded: xgrammar refuses `maxLength` beside a pattern,
# and a bound inside the pattern ({0,1499}) made decoding 3.6 times slower, so the lengths are checked on return.
OPENS_IN_CHINESE = f'^[{HAN}](?:[^"\\\\]|\\\\.)*$'


def _at_most(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"at most {limit} characters")
        return value

    return AfterValidator(check)


class DraftVariantInChinese(DraftVariant):
    """The schema of the second attempt at a Chinese variant whose first answer was written in another
    language: every text field must open with a Chinese character (constrained decoding, not a request the
    small model can ignore). Brand names in Latin letters may still follow."""

    headline: Annotated[str, Field(pattern=OPENS_IN_CHINESE, description="headline, subject line or title, by "
                                   "channel"), _at_most(200)]
    body: Annotated[str, Field(pattern=OPENS_IN_CHINESE), _at_most(1500)]
    call_to_action: Annotated[str, Field(pattern=OPENS_IN_CHINESE), _at_most(80)]


class IdeaDraft(BaseModel):
    title: str = Field(max_length=160)
    detail: str = Field(max_length=600)
    evidence: list[int] = Field(max_length=6, description="ids of the customer texts that support it")


class IdeaList(BaseModel):
    product_ideas: list[IdeaDraft] = Field(max_length=5)
    positioning_angles: list[IdeaDraft] = Field(max_length=4)
