"""The report stage with the real model (SmolLM2 in tests) through the real analysis pipeline: whatever the
small model cites, every citation that is stored supports its claim, and the summary leads with the facts."""

import pytest

from apps.insights import evidence
from apps.insights.models import Insight, TextAnalysis
from tests.conftest import import_now
from tests.factories import BATTERY, LIGHT, SHIPPING, corpus_csv, run_now
from tests.insights.test_report_checks import EXTRA

pytestmark = pytest.mark.llm

NEGATIVE = set(BATTERY + SHIPPING)  # rated 1 and 2 by corpus_csv; LIGHT is rated 5


def test_every_stored_citation_supports_its_claim(owner, llm_base_url):
    from apps.insights import services

    services.update_settings(owner.ctx, competitors=["Philips Hue", "Xiaomi", "BenQ"])
    import_now(owner, "r.csv", corpus_csv(EXTRA))
    run = run_now(owner)
    assert run.status == "succeeded", run.job.error
    assert run.summary.startswith("Most negative feedback is about")
    signals = {a.text_id: a for a in TextAnalysis.objects.filter(workspace=owner.workspace).select_related("text")}
    checked = Insight.objects.filter(run=run, kind__in=(
        "pain_point", "praise", "feature_request", "competitor", "opportunity", "product_idea"))
    for insight in checked:
        assert insight.evidence, insight.title
        for text_id in insight.evidence:
            a = signals[text_id]
            facts = evidence.TextFacts(a.text.text, a.sentiment, a.intent, a.sentiment_score, a.theme_id)
            assert evidence.supports(insight.kind, facts, theme_id=insight.theme_id if insight.kind in (
                "pain_point", "praise", "feature_request") else None,
                competitor=insight.data.get("competitor", "")), (insight.kind, insight.title, a.text.text)
            if insight.kind == "pain_point":  # and by the corpus' own ratings, not only by the classifier
                assert a.text.text in NEGATIVE, (insight.title, a.text.text)
            if insight.kind == "praise":
                assert a.text.text in LIGHT, (insight.title, a.text.text)
    assert run.stats["evidence"]["citations"] >= run.stats["evidence"]["supported"]
