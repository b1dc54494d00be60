"""Workers die at any point; nothing is lost or done twice. The worker is SIGKILLed mid-job and started
again: the broker hands the unacknowledged task to the new worker, which finishes the job."""

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.corpus.models import CustomerText
from apps.embeddings.models import TextEmbedding
from bench.corpus import demo_rows
from tests.conftest import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROWS = 1500


def _upload(api, seed: int) -> tuple[str, int]:
    rows = demo_rows(ROWS, seed=seed)
    payload = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    response = api.post("/api/v1/imports", {"file": SimpleUploadedFile("big.jsonl", payload)})
    assert response.status_code == 202, response.content
    return response.json()["job_id"], response.json()["rows"]


@pytest.mark.parametrize("phase", ["storing", "embedding"])
def test_worker_killed_mid_import_then_job_completes_exactly_once(make_member, celery_worker, phase):
    member = make_member("owner", f"Crash {phase}")
    api = member.api()
    job_id, rows = _upload(api, seed=5 if phase == "storing" else 6)
    deadline = time.monotonic() + 300
    while True:  # wait for the job to be in the phase we want to crash in
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        in_phase = (0 < job["done"] < rows) if phase == "storing" else (rows < job["done"] < job["total"])
        if in_phase or job["status"] in ("succeeded", "failed"):
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["status"] == "running", f"the job finished before the crash: {job}"
    celery_worker.kill()
    assert api.get(f"/api/v1/jobs/{job_id}").json()["status"] == "running"
    celery_worker.start()
    job = wait_for_job(api, job_id, timeout=600)
    assert job["status"] == "succeeded", job
    texts = CustomerText.objects.filter(workspace=member.workspace)
    distinct = len({r["text"] for r in demo_rows(ROWS, seed=5 if phase == "storing" else 6)})
    assert texts.count() == job["result"]["imported"] <= ROWS
    assert texts.values("content_hash").distinct().count() == texts.count()  # every text exactly once
    assert texts.count() >= distinct  # nothing lost
    embeddings = TextEmbedding.objects.filter(workspace=member.workspace)
    assert embeddings.count() == texts.count()  # one vector each, none twice


def test_a_job_that_fails_for_good_says_what_to_do(make_member, celery_worker):
    from django.db import transaction

    from apps.corpus.models import TextImport
    from apps.corpus.services import Upload, start_import

    member = make_member("owner", "Broken file")
    with transaction.atomic():  # the task is published on commit, after the stored file is damaged
        text_import = start_import(member.ctx, Upload("r2.csv", b"text\nanother\n", {}))
        TextImport.objects.filter(pk=text_import.pk).update(payload=b"\x00\x01binary")
    failed = wait_for_job(member.api(), str(text_import.job_id))
    assert failed["status"] == "failed" and "binary" in failed["error"]
    assert not CustomerText.objects.filter(text_import=text_import).exists()
