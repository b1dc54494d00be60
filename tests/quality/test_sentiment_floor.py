"""Regression floors for per-text sentiment on the fast subset of the dev sets (make quality has the full
figures). Floors sit a little under what the current classifier measures, and well above the baselines."""

import pytest

from bench.quality.common import QualityContext
from bench.quality.sentiment import evaluate


@pytest.fixture(scope="module")
def figures():
    return evaluate(QualityContext(fast=True, use_llm=False))


def test_english_polar_accuracy_beats_vader(figures):
    en = figures["en"]
    assert en["polar_accuracy"] >= FLOORS["en"], en
    assert en["polar_accuracy"] >= en["baseline_vader_polar_accuracy"] + 0.05, en


def test_chinese_polar_accuracy_beats_the_lexicon(figures):
    zh = figures["zh"]
    assert zh["polar_accuracy"] >= FLOORS["zh"], zh
    assert zh["polar_accuracy"] >= zh["baseline_lexicon_polar_accuracy"] + 0.05, zh


def test_intent(figures):
    assert figures["en"]["intent_accuracy"] >= FLOORS["intent"], figures["en"]
    assert figures["zh"]["intent_accuracy"] >= FLOORS["intent"], figures["zh"]


FLOORS = {"en": 0.70, "zh": 0.70, "intent": 0.65}
