"""Regression floors of the search figures (bench/quality/search.py), no LLM involved.
Measured on 200 texts and 45 queries (docs/DATA.md, "Search dev set"): multilingual model recall@10 0.700 for
semantic and hybrid ranking, MRR 0.917 -> 0.928; MiniLM (31 English queries) recall@10 0.929, MRR 0.984 for
both; at the relevance floors 0.93 (multilingual) and 0.85 (MiniLM) of the relevant top-10 texts stay shown."""

import pytest

from bench.quality.common import QualityContext
from bench.quality.search import evaluate


@pytest.mark.django_db
def test_search_floor():
    figures = evaluate(QualityContext(fast=True, use_llm=False))
    multilingual, minilm = figures["use-multilingual"], figures["minilm-l6"]
    assert figures["llm_calls"] == 0 and figures["n_texts"] == 200, figures
    for model, recall, mrr, shown in ((multilingual, 0.66, 0.88, 0.88), (minilm, 0.9, 0.95, 0.8)):
        assert model["hybrid_recall_at_10"] >= recall and model["hybrid_mrr"] >= mrr, model
        # Fusing keyword matches must not rank worse than meaning alone did.
        assert model["hybrid_recall_at_10"] >= model["semantic_recall_at_10"] - 0.01, model
        assert model["hybrid_mrr"] >= model["semantic_mrr"] - 0.01, model
        assert model["floor"]["recall"] >= shown and model["floor"]["queries_with_nothing"] == 0, model
    # The example: "someone wants to be called back" finds "Please call me on …" in the top 10.
    assert minilm["issue_example_rank"]["hybrid"] is not None, minilm
