"""What the LLM judge may and may not decide, what it reads of long texts, and calls to action a brief asks for.
The judge is a script of the fake model server (tests/fakes.py: JudgeScript)."""

from __future__ import annotations

import pytest

from apps.moderation import services
from apps.moderation.models import ModerationCase
from tests.fakes import JudgeScript


def moderate(owner, text: str, sid: str = "1", **kw):
    return services.moderate_generated(owner.workspace, "reply_draft", sid, text, **kw)


def test_the_judge_alone_never_hides_what_the_detectors_only_suspected(owner, fake_llm):
    judge = fake_llm.use(JudgeScript(["spam"], 3, "imgur"))
    verdict = moderate(owner, "Photos of the broken hinge: https://imgur.example/abc")
    assert judge.texts, "the candidate went to the judge"
    assert verdict.stage == "llm" and verdict.status == "pending" and verdict.action == "queue"
    assert "spam" in verdict.categories


def test_the_judge_may_hide_when_the_detectors_were_certain_of_something(owner, fake_llm):
    fake_llm.use(JudgeScript(["violence"], 3, "I'm coming for you"))
    # Certain: an insult aimed at people (queue). Candidate: a veiled threat, which the judge confirms.
    verdict = moderate(owner, "Your support staff are idiots. Watch your back.")
    assert verdict.stage == "llm" and verdict.status == "hidden"


@pytest.mark.parametrize("text", ["Watch your back, I don't forget faces.", "你给我等着。"])
def test_a_threat_hit_is_never_approved_by_the_judge_alone(owner, fake_llm, text):
    fake_llm.use(JudgeScript([], 0))
    verdict = moderate(owner, text)
    assert verdict.stage == "llm" and verdict.status == "pending"
    assert "violence" in verdict.categories  # the suspicion stays visible in the queue


def test_other_candidates_can_be_cleared_by_the_judge(owner, fake_llm):
    fake_llm.use(JudgeScript([], 0))
    verdict = moderate(owner, "这个更新简直是智障设计")  # an insulting word aimed at no one
    assert verdict.stage == "llm" and verdict.status == "approved"


def test_the_judge_reads_windows_around_what_was_flagged(owner, fake_llm):
    judge = fake_llm.use(JudgeScript([], 0))
    filler = "The lamp arrived on time and the light is warm. " * 80  # about 3,900 characters
    text = f"{filler}Watch your back, I know your face. {filler}"
    verdict = moderate(owner, text)
    shown = judge.texts[0]
    assert "Watch your back" in shown and len(shown) <= services.JUDGE_MAX_CHARS + 20
    assert verdict.status == "pending"


def test_judge_excerpt():
    text = "a" * 2000 + "THREAT" + "b" * 2000 + "SPAM" + "c" * 2000
    spans = [(2000, 2006), (4006, 4010)]
    excerpt = services.judge_excerpt(text, spans)
    assert "THREAT" in excerpt and "SPAM" in excerpt and " … " in excerpt
    assert len(excerpt) <= services.JUDGE_MAX_CHARS + 3 * len(" … ")
    assert services.judge_excerpt("short text", [(0, 5)]) == "short text"
    assert services.judge_excerpt("x" * 5000, []).startswith("x" * 300)


def test_copy_is_not_spam_for_the_call_to_action_its_brief_asks_for(owner, fake_llm):
    fake_llm.down = True  # unsure copy waits for a person
    text = "Pre-order now! Limited stock, only 500 lamps this season!!!"
    assert moderate(owner, text, "cta-1").status == "pending"  # default: selling words with no brief
    verdict = moderate(owner, text, "cta-2", allowed_calls_to_action=["Pre-order now"])
    assert verdict.status == "approved" and verdict.categories == []
    # The brief allows its call to action, not a link or a prize.
    other = moderate(owner, "Pre-order now and win a free iPhone! Text WIN to 80082", "cta-3",
                     allowed_calls_to_action=["Pre-order now"])
    assert other.status == "hidden" and "spam" in other.categories
    assert ModerationCase.objects.filter(subject_id__in=["cta-1", "cta-2", "cta-3"]).count() == 3
