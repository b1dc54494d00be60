"""Through the real broker and a real worker process: upload, wait for the job, search, find the text."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.context import WorkspaceContext
from apps.accounts.services import ensure_member, issue_token
from tests.conftest import Member, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CSV = (
    b"review,stars,date,channel\n"
    b"The lamp flickers whenever the dimmer is below 20 percent,2,2026-10-01,app_store\n"
    b"Setup was quick and the colours look natural,5,2026-10-02,survey\n"
    b"I want a sunrise alarm that slowly brightens in the morning,4,2026-10-03,survey\n"
)


def _member() -> Member:
    membership = ensure_member("e2e", "E2E", "owner")
    ctx = WorkspaceContext(workspace=membership.workspace, user=membership.user, role="owner")
    return Member(ctx=ctx, token=issue_token(membership))


def test_import_through_worker_then_search(celery_worker):
    member = _member()
    api = member.api()
    response = api.post("/api/v1/imports", {"file": SimpleUploadedFile("reviews.csv", CSV)})
    assert response.status_code == 202, response.content
    job = wait_for_job(api, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["imported"] == 3 and job["done"] == job["total"]
    hits = api.get("/api/v1/search?q=wake up gently with light&k=1").json()["results"]
    assert hits[0]["text"].startswith("I want a sunrise alarm")
    # the same file again: a new job, nothing added
    again = wait_for_job(api, api.post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", CSV)}).json()["job_id"])
    assert again["status"] == "succeeded" and again["result"]["imported"] == 0
    assert api.get("/api/v1/texts").json()["count"] == 3


def test_healthz_reports_every_component(celery_worker, client):
    body = client.get("/healthz").json()
    components = body["components"]
    assert {"database", "broker", "workers", "embeddings", "llm"} <= set(components)
    for name in ("database", "broker", "workers", "embeddings"):
        assert components[name]["state"] == "up", (name, components[name])
