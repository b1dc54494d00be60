"""An analysis through the real broker, a real worker and the real vLLM server (SmolLM2 in tests: the structure
and the evidence rules are checked, not the prose). One analysis serves both checks below, since on two CPU
cores each analysis with the model costs minutes: the pipeline's shape (import, then analysis, through the
workers) and the report stage's rule that whatever the small model cites, every citation that is stored supports
its claim and the summary leads with the computed facts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.corpus.models import CustomerText
from apps.insights import evidence
from apps.insights.models import AnalysisRun, Insight, TextAnalysis
from tests.conftest import wait_for_job
from tests.factories import BATTERY, LIGHT, SHIPPING, corpus_csv
from tests.insights.test_report_checks import EXTRA

pytestmark = [pytest.mark.llm, pytest.mark.django_db(transaction=True)]

NEGATIVE = set(BATTERY + SHIPPING)  # rated 1 and 2 by corpus_csv; LIGHT and EXTRA are rated 5


def test_analysis_with_the_real_model_and_every_stored_citation_supports_its_claim(
        make_member, celery_worker, llm_base_url):
    member = make_member("analyst", "RealLLM")
    api = member.api()
    settings = api.put("/api/v1/analysis-settings", {"competitors": ["Philips Hue", "Xiaomi", "BenQ"]},
                       content_type="application/json")
    assert settings.status_code == 200, settings.content
    upload = api.post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", corpus_csv(EXTRA))})
    # Started right away: the analysis waits for the import to finish by itself.
    started = api.post("/api/v1/analyses")
    assert started.status_code == 202, started.content
    assert wait_for_job(api, upload.json()["job_id"])["status"] == "succeeded"
    job = wait_for_job(api, started.json()["job_id"], timeout=600)
    assert job["status"] == "succeeded", job

    # The pipeline's shape.
    report = api.get(f"/api/v1/analyses/{started.json()['analysis_id']}").json()
    assert report["status"] == "succeeded" and report["text_count"] == 18 + len(EXTRA)
    assert report["themes"] and all(t["label"] and t["size"] > 0 for t in report["themes"])
    assert 0 < report["llm_calls"] <= 3 * (len(report["themes"]) + 1)  # bounded by themes (with retries)
    workspace_ids = set(CustomerText.objects.filter(workspace=member.workspace).values_list("pk", flat=True))
    for insight in report["insights"]:
        assert insight["evidence"] and set(insight["evidence"]) <= workspace_ids, insight
    texts = api.get("/api/v1/texts?limit=100").json()["results"]
    assert all(t["sentiment"]["label"] for t in texts) and any(t["themes"] for t in texts)

    # The report stage: the summary leads with the facts, and every stored citation supports its claim.
    run = AnalysisRun.objects.get(pk=started.json()["analysis_id"])
    assert run.summary.startswith("Most negative feedback is about"), run.summary
    signals = {a.text_id: a for a in TextAnalysis.objects.filter(workspace=member.workspace).select_related("text")}
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
