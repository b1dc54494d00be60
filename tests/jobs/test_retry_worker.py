"""Failed imports retried through the real broker and worker: one whose task could not be queued (the broker
was unreachable when it was uploaded), and one whose embedding failed after its texts were stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.embeddings.models import TextEmbedding
from apps.jobs import services as jobs
from apps.jobs.models import Job
from tests.conftest import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CSV = (
    b"text,rating,date\n"
    b"The lamp flickers whenever the dimmer is below 20 percent,2,2026-10-01\n"
    b"Setup was quick and the colours look natural,5,2026-10-02\n"
    b"I want a sunrise alarm that slowly brightens in the morning,4,2026-10-03\n"
)


def test_an_import_that_could_not_be_queued_is_retried_from_its_page(make_member, celery_worker, broker_down):
    member = make_member("owner", "Retry import")
    api, browser = member.api(), member.browser()
    with broker_down():
        response = api.post("/api/v1/imports", {"file": SimpleUploadedFile("reviews.csv", CSV)})
    assert response.status_code == 202, response.content
    job_id = response.json()["job_id"]
    failed = api.get(f"/api/v1/jobs/{job_id}").json()
    assert failed["status"] == "failed" and failed["error"] == jobs.QUEUE_UNREACHABLE
    page = browser.get(f"/jobs/{job_id}/")
    assert page.status_code == 200 and f"/jobs/{job_id}/retry/".encode() in page.content
    # The broker is back: the Retry button queues the same job.
    assert browser.post(f"/jobs/{job_id}/retry/").status_code == 302
    job = wait_for_job(api, job_id)
    assert job["status"] == "succeeded", job
    assert job["result"]["imported"] == 3 and api.get("/api/v1/texts").json()["count"] == 3


def test_an_import_whose_embedding_failed_is_retried_through_the_api(make_member, celery_worker):
    member = make_member("owner", "Retry embedding")
    api = member.api()
    job_id = api.post("/api/v1/imports", {"file": SimpleUploadedFile("reviews.csv", CSV)}).json()["job_id"]
    assert wait_for_job(api, job_id)["status"] == "succeeded"
    # As if an embedding batch had given up for good: a vector missing and the job failed.
    TextEmbedding.objects.filter(workspace=member.workspace).order_by("pk").first().delete()
    Job.objects.filter(pk=job_id).update(status="failed", error="The job stopped because of an internal error.")
    response = api.post(f"/api/v1/jobs/{job_id}/retry")
    assert response.status_code == 202 and response.json()["status"] in ("queued", "running", "succeeded")
    job = wait_for_job(api, job_id)
    assert job["status"] == "succeeded" and job["result"]["imported"] == 3, job
    assert TextEmbedding.objects.filter(workspace=member.workspace).count() == 3
    assert api.get("/api/v1/texts").json()["count"] == 3  # nothing imported twice
