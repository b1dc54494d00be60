"""An analysis through the real broker, a real worker and the real vLLM server (SmolLM2 in tests:
the structure and the evidence rules are checked, not the prose)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.corpus.models import CustomerText
from tests.conftest import wait_for_job
from tests.factories import corpus_csv

pytestmark = [pytest.mark.llm, pytest.mark.django_db(transaction=True)]


def test_analysis_with_the_real_model(make_member, celery_worker, llm_base_url):
    member = make_member("analyst", "RealLLM")
    api = member.api()
    upload = api.post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", corpus_csv())})
    # Started right away: the analysis waits for the import to finish by itself.
    started = api.post("/api/v1/analyses")
    assert started.status_code == 202, started.content
    assert wait_for_job(api, upload.json()["job_id"])["status"] == "succeeded"
    job = wait_for_job(api, started.json()["job_id"], timeout=600)
    assert job["status"] == "succeeded", job
    report = api.get(f"/api/v1/analyses/{started.json()['analysis_id']}").json()
    assert report["status"] == "succeeded" and report["text_count"] == 18
    assert report["themes"] and all(t["label"] and t["size"] > 0 for t in report["themes"])
    assert 0 < report["llm_calls"] <= 3 * (len(report["themes"]) + 1)  # bounded by themes (with retries)
    workspace_ids = set(CustomerText.objects.filter(workspace=member.workspace).values_list("pk", flat=True))
    for insight in report["insights"]:
        assert insight["evidence"] and set(insight["evidence"]) <= workspace_ids, insight
    texts = api.get("/api/v1/texts").json()["results"]
    assert all(t["sentiment"]["label"] for t in texts) and any(t["themes"] for t in texts)
