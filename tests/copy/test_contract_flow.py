"""The contract in the copy pipeline, with the copy script of tests/fakes.py: the wrong language or a
placeholder is asked again once, then the variant fails with a sentence (never kept); unsupported claims and a
customer's voice are flagged on the stored variant, each claim once."""

from __future__ import annotations

import pytest

from apps.copy import services
from tests.copy.test_copy_flow import ZH, generate
from tests.copy.test_copy_flow import texts as texts  # noqa: PLC0414  (the fixture)
from tests.fakes import CopyScript

pytestmark = pytest.mark.django_db


class Scripted(CopyScript):
    """Copy answers in the order given (the last one repeats)."""

    def __init__(self, answers: list[dict]):
        super().__init__(content=answers[0])
        self.answers = answers

    @property
    def content(self) -> dict:
        return self.answers[min(max(self.copy_calls - 1, 0), len(self.answers) - 1)]

    @content.setter
    def content(self, value: dict) -> None:
        pass


ENGLISH_FOR_ZH = {"headline": "Warm light for late reading", "body": "Expert battery replacement service, "
                  "plus free shipping and returns.", "call_to_action": "Pre-order"}
ENGLISH_OPENING_IN_CHINESE = {"headline": "灯 Warm light for late reading", "body": "好 Readers love the warm glow "
                             "in the evening.", "call_to_action": "购 Pre-order now"}
PLACEHOLDER = {"headline": "Questions?", "body": "Contact us at [PHONE] or email us at [EMAIL].",
               "call_to_action": "Pre-order"}


def _schemas(fake_llm) -> list[str]:
    return [a.body["response_format"]["json_schema"]["name"] for a in fake_llm.prompts_of("copy/variants")]


def test_a_variant_in_the_wrong_language_is_asked_again_once_then_fails(owner, texts, fake_llm):
    # The re-ask's schema makes every field open with a Chinese character (vLLM enforces it while decoding);
    # a model can still go on in English after that character, and then the variant fails.
    fake = fake_llm.use(Scripted([ENGLISH_FOR_ZH, ENGLISH_OPENING_IN_CHINESE]))
    request = generate(owner, variants=1, language="zh", locale="zh-CN")
    assert fake.copy_calls == services.CONTRACT_ATTEMPTS == 2
    assert _schemas(fake_llm) == ["DraftVariant", "DraftVariantInChinese"]
    pattern = fake_llm.prompts_of("copy/variants")[1].body["response_format"]["json_schema"]["schema"]
    assert all(pattern["properties"][f]["pattern"].startswith("^[\u4e00-\u9fff]")
               for f in ("headline", "body", "call_to_action"))
    assert not request.variants.exists()  # never kept in the wrong language
    sentence = "The model wrote English instead of Chinese; try again or use a larger model."
    assert request.status == "failed" and sentence in request.job.error
    assert f"Variant 1 failed: {sentence}" in request.notes


def test_the_re_ask_can_put_it_right(owner, texts, fake_llm):
    fake = fake_llm.use(Scripted([ENGLISH_FOR_ZH, ZH]))
    variant = generate(owner, variants=1, language="zh", locale="zh-CN").variants.get()
    assert fake.copy_calls == 2 and variant.attempts == 2 and variant.text.startswith(ZH["headline"])
    assert variant.language == "zh"
    assert _schemas(fake_llm) == ["DraftVariant", "DraftVariantInChinese"]


def test_a_placeholder_is_asked_again_without_the_chinese_schema(owner, texts, fake_llm):
    # Only an answer in the wrong language brings the constrained schema; a placeholder is asked again as it was.
    fake_llm.use(Scripted([{**ZH, "body": "暖光柔和，联系我们 [PHONE]。"}, ZH]))
    generate(owner, variants=1, language="zh", locale="zh-CN")
    assert _schemas(fake_llm) == ["DraftVariant", "DraftVariant"]


def test_placeholders_are_asked_again_once_then_the_variant_fails(owner, texts, fake_llm):
    fake = fake_llm.use(Scripted([PLACEHOLDER]))
    request = generate(owner, variants=1)
    assert fake.copy_calls == services.CONTRACT_ATTEMPTS and not request.variants.exists()
    assert request.status == "failed"
    assert "The model left placeholders ([PHONE], [EMAIL]) instead of real words" in request.job.error


def test_unsupported_claims_and_a_customers_voice_are_flagged_once(owner, texts, fake_llm):
    answer = {"headline": "Free shipping on the warm light", "body": "I bought two and my husband loves them. "
              "Free shipping, a lifetime warranty and free shipping again.", "call_to_action": "Pre-order"}
    fake_llm.use(Scripted([answer]))
    variant = generate(owner, variants=1).variants.get()  # kept after the re-asks: flagged, not dropped
    flagged = [(c["field"], c["kind"], c["text"]) for c in variant.flagged_claims]
    assert flagged == [("headline", "shipping", "Free shipping"), ("body", "customer_voice", "I bought"),
                       ("body", "customer_voice", "my husband loves"), ("body", "warranty", "lifetime warranty")]
    assert variant.attempts == services.GENERATION_ATTEMPTS  # the customer's voice was asked again first


def test_facts_the_brief_gives_are_not_flagged(owner, texts, fake_llm):
    answer = {"headline": "Free shipping on the warm light", "body": "A 2-year warranty on every lamp.",
              "call_to_action": "Pre-order"}
    fake_llm.use(Scripted([answer]))
    variant = generate(owner, variants=1, key_message="Free shipping and a 2-year warranty").variants.get()
    assert [c for c in variant.flagged_claims if c["kind"] in ("shipping", "warranty")] == []


def test_the_call_to_action_the_brief_asks_for_is_no_spam(owner, texts, fake_llm):
    answer = {"headline": "Warm light, ready soon", "body": "Readers love the soft evening glow. Order now, "
              "limited stock: pre-order today!", "call_to_action": "Pre-order now"}
    fake_llm.use(Scripted([answer]))
    variant = generate(owner, variants=1).variants.get()  # the brief's goal: pre-orders of the warm light model
    assert variant.moderation_status == "approved", variant.moderation_reason


@pytest.mark.parametrize("goal, cta, asked", [
    ("pre-orders of the warm light model", "Pre-order now", ["Pre-order now"]),
    ("sign-ups for the restock alert", "Sign up for the alert", ["Sign up for the alert"]),
    ("双十一预售", "立即预售", ["立即预售"]),
    ("pre-orders of the warm light model", "Click here", []),
    ("pre-orders of the warm light model", "", []),
])
def test_calls_to_action_asked(goal, cta, asked):
    assert services.calls_to_action_asked(goal, cta) == asked
