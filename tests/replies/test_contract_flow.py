"""The contract in the replies pipeline, with the replies script of tests/fakes.py: a placeholder is asked
again, then kept flagged (it cannot be approved); unsupported factual claims are flagged; the wrong language
fails the text with a sentence after one re-ask."""

from __future__ import annotations

import pytest

from apps.replies import services
from apps.replies.models import ReplyDraft
from tests.factories import BATTERY
from tests.fakes import REPLY_CLEAN_EN as CLEAN_EN
from tests.fakes import RepliesScript, data_block
from tests.replies.test_replies_flow import ZH_TEXTS, draft, only_draft
from tests.replies.test_replies_flow import texts as texts  # noqa: PLC0414  (the fixture)

pytestmark = pytest.mark.django_db

PLACEHOLDERS = "Sorry about the battery! Contact us at [PHONE] or email us at [EMAIL]."
INVENTED = "Sorry about the battery. We offer a lifetime warranty and expert battery replacement service."


def test_a_placeholder_is_asked_again_and_the_clean_answer_kept(owner, texts, fake_llm):
    fake = fake_llm.use(RepliesScript(replies=[PLACEHOLDERS, CLEAN_EN]))
    reply = only_draft(owner, texts[BATTERY[0]])
    assert fake.reply_calls == 2 and reply.policy_flags == [] and "[PHONE]" not in reply.body
    assert "placeholder" in data_block(fake.prompts[1], "previous_problems")


def test_a_draft_that_keeps_its_placeholders_is_flagged_and_cannot_be_approved(owner, texts, fake_llm):
    fake_llm.use(RepliesScript(replies=[PLACEHOLDERS]))
    reply = only_draft(owner, texts[BATTERY[0]])
    assert [(f["kind"], f["text"]) for f in reply.policy_flags] == [("placeholder", "[PHONE]"),
                                                                    ("placeholder", "[EMAIL]")]
    assert services.blocking_flags(reply) == reply.policy_flags  # a person must edit them away
    with pytest.raises(services.ReplyConflict):
        services.approve_draft(owner.ctx, reply.pk)


def test_invented_services_and_warranties_are_flagged(owner, texts, fake_llm):
    fake_llm.use(RepliesScript(replies=[INVENTED]))
    reply = only_draft(owner, texts[BATTERY[0]])
    kinds = {(f["kind"], f["text"]) for f in reply.policy_flags}
    assert ("service", "expert battery replacement service") in kinds
    assert ("guarantee", "warranty") in kinds  # the policy flag on the same words says it more precisely


def test_the_wrong_language_fails_the_text_with_a_sentence(owner, texts, fake_llm):
    fake = fake_llm.use(RepliesScript(zh_replies=False))
    job = draft(owner, [texts[ZH_TEXTS[0]].pk, texts[BATTERY[0]].pk])
    assert fake.reply_calls == 1 + services.LANGUAGE_ATTEMPTS  # the English text once, the Chinese one twice
    assert set(ReplyDraft.objects.filter(job=job).values_list("text_id", flat=True)) == {texts[BATTERY[0]].pk}
    assert job.status == "succeeded" and job.result["failed_texts"] == [texts[ZH_TEXTS[0]].pk]
    assert any("The model wrote English instead of Chinese; try again or use a larger model." in n
               for n in job.result["notes"])
