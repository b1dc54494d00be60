"""Regression floors of the redaction figures (bench/quality/redaction.py, the planted-PII set of docs/DATA.md):
recall (a span counts when all of it is redacted) at least 0.95 and at most 5% of clean texts changed."""

from apps.corpus.redaction import KINDS
from bench.quality.common import QualityContext
from bench.quality.redaction import evaluate, rows

MIN_RECALL = 0.95
MAX_CLEAN_CHANGED = 0.05


def test_the_set_is_labelled_consistently():
    data = rows()
    planted = [row for row in data if row["pii"]]
    assert len(planted) >= 60 and len(data) - len(planted) >= 30
    assert {row["lang"] for row in data} == {"en", "zh"}
    assert len({row["id"] for row in data}) == len(data)
    for row in planted:
        for span in row["pii"]:
            assert span["kind"] in KINDS and span["text"] in row["text"], row["id"]


def test_redaction_floor():
    figures = evaluate(QualityContext(fast=True, use_llm=False))
    print(figures)
    assert figures["recall"] >= MIN_RECALL, figures
    assert min(figures["recall_by_language"].values()) >= MIN_RECALL - 0.05, figures  # neither language lags
    assert figures["clean_changed_rate"] <= MAX_CLEAN_CHANGED, figures
