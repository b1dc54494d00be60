"""The per-text classifier, on the real sentence encoder and the shipped seeds."""

import pytest

from apps.insights.classify import classify_many
from apps.insights.sentiment import (
    CLASSES,
    LOW_CONFIDENCE,
    LabelledText,
    base_model,
    load_seeds,
    model_with_corrections,
    verdict_from,
    zh_lexicon_score,
)


def one(text: str, rating: int | None = None):
    return classify_many(base_model(), [text], [rating])[0]


def test_seeds_are_balanced_enough_to_train_on():
    seeds = load_seeds()
    by_class = {c: sum(s.sentiment == c for s in seeds) for c in ("positive", "negative", "neutral")}
    assert len(seeds) >= 1000
    assert min(by_class.values()) >= 0.05 * len(seeds)


def test_seeds_carry_only_the_classifier_classes():
    """"mixed" comes from a rating the words contradict, never from the text alone: a mixed seed would
    become a fourth class whose probability the verdict never reads."""
    assert {s.sentiment for s in load_seeds()} == set(CLASSES)


@pytest.mark.parametrize(("text", "expected"), [
    ("Absolutely love this lamp, great light!", "positive"),
    ("Terrible battery, very disappointed.", "negative"),
    ("电池太差了，很失望", "negative"),
    ("灯光很柔和，非常喜欢", "positive"),
    ("不喜欢这个颜色", "negative"),
    ("用了三天就开不了机", "negative"),
])
def test_text_sentiment_in_english_and_chinese(text, expected):
    verdict = one(text)
    assert (verdict.sentiment, verdict.method) == (expected, "classifier")
    assert 0 <= verdict.confidence <= 1


def test_a_negative_fact_is_never_confidently_positive():
    """The issue's demo example: a fact with no negative word. The classifier may not know, but then it must
    say so (low confidence: the analysis asks the model about it), never call it positive with confidence."""
    verdict = one("battery drains from 100% to about 20% overnight")
    assert verdict.sentiment == "negative" or verdict.confidence < LOW_CONFIDENCE, verdict


def test_rating_decides_when_the_text_agrees_or_says_little():
    assert (one("It arrived on Monday.", 5).sentiment, one("It arrived on Monday.", 5).method) == ("positive", "rating")
    assert one("ok", 1).sentiment == "negative"


def test_a_text_that_contradicts_its_rating_is_mixed():
    verdict = one("Stopped working after a week, total waste of money, very disappointed.", 5)
    assert (verdict.sentiment, verdict.method) == ("mixed", "rating+text")


@pytest.mark.parametrize("text", ["My Xiaomi lamp was brighter than this one", "小米的灯比这个亮多了"])
def test_five_stars_for_a_comparison_this_product_loses_is_never_positive(text):
    """CI's real-model analysis stored "My Xiaomi lamp was brighter than this one" (5 stars) as positive. Where
    the words alone do not contradict the stars, the comparison makes it mixed, at low confidence."""
    verdict = one(text, 5)
    assert verdict.sentiment == "mixed", verdict
    assert verdict.method == "rating+text" or verdict.confidence < LOW_CONFIDENCE, verdict
    assert one(text).sentiment in ("negative", "mixed"), one(text)


def test_the_comparison_rule_turns_a_confident_rating_into_low_confidence_mixed():
    verdict = one("My Xiaomi lamp was brighter than this one", 5)
    assert (verdict.sentiment, verdict.method) == ("mixed", "rating") and verdict.confidence < LOW_CONFIDENCE


def test_a_comparison_this_product_wins_stays_positive():
    for text in ("It doesn't get better than this for the price.", "Much brighter than my old Xiaomi lamp"):
        verdict = one(text, 5)
        assert (verdict.sentiment, verdict.method) == ("positive", "rating"), (text, verdict)


def test_neutral_only_when_the_evidence_is_balanced():
    assert verdict_from({"negative": 0.1, "neutral": 0.2, "positive": 0.7}, None).sentiment == "positive"
    split = verdict_from({"negative": 0.45, "neutral": 0.1, "positive": 0.45}, None)
    assert split.sentiment != "neutral" and split.low_confidence
    assert verdict_from({"negative": 0.1, "neutral": 0.8, "positive": 0.1}, None).sentiment == "neutral"
    flat = verdict_from({"negative": 0.3, "neutral": 0.4, "positive": 0.3}, None)
    assert flat.low_confidence  # whatever it says, it says it is unsure


def test_zh_lexicon_negation_flips():
    assert zh_lexicon_score("很喜欢") > 0
    assert zh_lexicon_score("不喜欢") < 0


def test_intent():
    assert one("Please add a sunrise alarm", 4).intent == "feature_request"
    assert one("希望能增加定时关灯功能").intent == "feature_request"
    assert one("How do I reset the lamp?").intent == "question"
    assert one("Broke after a week", 1).intent == "complaint"
    assert one("Lovely", 5).intent == "praise"


def test_corrections_move_the_model():
    """A workspace whose customers use a word in an unusual sense teaches it through corrections."""
    text = "the plot was completely unpredictable"
    corrections = [LabelledText(f"the ending was unpredictable {i}", "positive") for i in range(30)]
    before = base_model().probabilities([text])[0]["positive"]
    after = model_with_corrections(corrections).probabilities([text])[0]["positive"]
    assert after > before


def test_a_workspace_convention_in_the_corrections_is_learnt_and_lifts_the_rest():
    """The earbuds workspace of the reports dev set: its analysts call feature requests neutral. After 50
    corrections the texts not reviewed are read better than by the shipped model (measured: 0.777 -> 0.81 over
    ten draws in make quality); this draw must show the layer and a gain."""
    import random

    from apps.insights.workspace_sentiment import WorkspaceSentimentModel
    from bench.quality.common import load_jsonl

    rows = [r for r in load_jsonl("reports.jsonl") if r["sentiment"] in CLASSES]
    reviewed = set(random.Random(1).sample(range(len(rows)), 50))
    model = WorkspaceSentimentModel([LabelledText(rows[i]["text"], rows[i]["sentiment"]) for i in sorted(reviewed)])
    rest = [r for i, r in enumerate(rows) if i not in reviewed]

    def accuracy(m) -> float:
        probs = m.probabilities([r["text"] for r in rest])
        return sum(max(p, key=p.get) == r["sentiment"] for p, r in zip(probs, rest, strict=True)) / len(rest)

    assert model.layer is not None
    assert accuracy(model) > accuracy(base_model()) + 0.02


def test_corrections_that_agree_with_the_model_add_no_convention_layer():
    texts = ["Love the warm light", "Broke after two days", "Battery lasts all week, great", "Terrible support",
             "很好用，推荐", "质量太差了", "Sound is crisp and clear", "Stopped charging, useless"] * 3
    model = base_model()
    agreed = [LabelledText(t, max(p, key=p.get)) for t, p in zip(texts, model.probabilities(texts), strict=True)]
    from apps.insights.workspace_sentiment import WorkspaceSentimentModel

    assert WorkspaceSentimentModel(agreed).layer is None
