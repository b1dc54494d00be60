"""Regression floors of the themes figures on the fast sample, without the LLM (keyword labels only).
Measured: NMI 0.80, purity 0.77, 7 themes for 9 topics on 180 texts; every label grounded."""

import pytest

from bench.quality.common import QualityContext
from bench.quality.themes import evaluate


@pytest.mark.django_db
def test_themes_floor():
    figures = evaluate(QualityContext(fast=True, use_llm=False))
    assert figures["nmi"] >= 0.72, figures
    assert figures["purity"] >= 0.70, figures
    assert 5 <= figures["themes"] <= 14, figures
    assert figures["labels_grounded"] == 1.0, figures
    assert figures["labels_by_keywords"] == 1.0 and figures["llm_calls"] == 0, figures
    assert figures["labels_repeating_prompt"] == 0 and figures["labels_repeated"] == 0, figures
