"""A worker SIGKILLed in the middle of an analysis and of a copy job, while the model is writing: after a
restart the broker hands the task to the new worker, the job finishes and nothing is stored twice
(real broker, real worker, real vLLM server)."""

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.copy.models import CopyVariant
from apps.insights.models import AnalysisRun, Insight, Theme, ThemeSnapshot
from apps.moderation.models import ModerationCase
from bench.corpus import demo_rows
from tests.conftest import wait_for_job

pytestmark = [pytest.mark.llm, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _seed(member, rows: int) -> None:
    api = member.api()
    payload = "\n".join(json.dumps(r, ensure_ascii=False) for r in demo_rows(rows, seed=11)).encode()
    upload = api.post("/api/v1/imports", {"file": SimpleUploadedFile("seed.jsonl", payload)})
    assert upload.status_code == 202, upload.content
    assert wait_for_job(api, upload.json()["job_id"], timeout=300)["status"] == "succeeded"


def _kill_while(api, job_id: str, in_phase, celery_worker) -> None:
    """SIGKILL the worker as soon as the job is in the phase we want, then start a new one."""
    deadline = time.monotonic() + 600
    while True:
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        if in_phase(job) or job["status"] in ("succeeded", "failed"):
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["status"] == "running", f"the job finished before the crash: {job}"
    celery_worker.kill()
    celery_worker.start()


def test_worker_killed_while_the_model_describes_themes(make_member, celery_worker, llm_base_url):
    member = make_member("owner", "Crash analysis")
    _seed(member, 30)
    api = member.api()
    started = api.post("/api/v1/analyses")
    assert started.status_code == 202, started.content
    job_id, run_id = started.json()["job_id"], started.json()["analysis_id"]
    _kill_while(api, job_id, lambda job: job["done"] >= 3, celery_worker)  # step 3: LLM calls per theme

    job = wait_for_job(api, job_id, timeout=900)
    assert job["status"] == "succeeded", job
    assert AnalysisRun.objects.filter(workspace=member.workspace).count() == 1
    report = api.get(f"/api/v1/analyses/{run_id}").json()
    snapshots = list(ThemeSnapshot.objects.filter(run_id=run_id).values_list("theme_id", flat=True))
    assert len(snapshots) == len(set(snapshots)) == len(report["themes"]) > 0  # each theme once
    active = set(Theme.objects.filter(workspace=member.workspace, parent__isnull=True, status="active")
                 .values_list("pk", flat=True))
    assert active == set(snapshots)  # no theme left over from the killed attempt
    assert Insight.objects.filter(run_id=run_id).count() == len(report["insights"])
    assert 0 < report["llm_calls"] <= 3 * (len(report["themes"]) + 1)


def test_worker_killed_while_the_model_writes_copy(make_member, celery_worker, llm_base_url):
    member = make_member("owner", "Crash copy")
    _seed(member, 40)
    api = member.api()
    brief = {"product": "Lumo desk lamp", "audience": "people who work from home", "goal": "pre-orders",
             "channel": "email", "tone": "warm", "length": "short", "variants": 3, "language": "en"}
    started = api.post("/api/v1/copy", {"brief": brief}, content_type="application/json")
    assert started.status_code == 202, started.content
    job_id, copy_id = started.json()["job_id"], started.json()["copy_id"]
    _kill_while(api, job_id, lambda job: job["done"] >= 1, celery_worker)  # grounded, now writing

    job = wait_for_job(api, job_id, timeout=900)
    assert job["status"] == "succeeded", job
    variants = list(CopyVariant.objects.filter(request_id=copy_id).values_list("pk", "position"))
    positions = [position for _, position in variants]
    assert 1 <= len(variants) <= 3 and len(positions) == len(set(positions))  # no variant stored twice
    cases = ModerationCase.objects.filter(workspace=member.workspace, subject_type="copy_variant")
    assert sorted(int(s) for s in cases.values_list("subject_id", flat=True)) == sorted(pk for pk, _ in variants)
