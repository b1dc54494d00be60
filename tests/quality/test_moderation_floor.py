"""Regression floor of moderation on its dev set (the fast subset, detectors only, as `make test` runs it).
Measured when written: fast subset (120) precision 1.0, recall 1.0, nothing harsh-but-fair or clean flagged; whole
set (402), detectors only: precision 0.993, recall 0.996, harsh_fair 2/70 flagged; with the SmolLM2 judge:
precision 1.0, recall 0.952 (the tiny judge clears some spam candidates; threats and self-harm all held)."""

import pytest

from bench.quality.common import QualityContext
from bench.quality.moderation import evaluate


@pytest.mark.django_db
def test_moderation_holds_what_it_must_and_spares_fair_feedback():
    figures = evaluate(QualityContext(fast=True, use_llm=False))
    print(figures)
    assert figures["n"] == 120 and not figures["not_imported"]
    assert figures["recall"] >= 0.9
    assert figures["precision"] >= 0.9
    assert figures["false_positive_rate"]["harsh_fair"] <= 1 / 15
    assert figures["false_positive_rate"]["clean"] <= 0.05
    assert figures["missed_threat_or_self_harm"] == []
    for language in ("en", "zh"):
        assert figures["by_language"][language]["recall"] >= 0.85
