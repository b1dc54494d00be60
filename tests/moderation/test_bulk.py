"""Bulk decisions on a selection or on a whole filter: one background job with progress."""

import pytest

from apps.corpus.models import CustomerText
from apps.jobs.models import Job
from apps.moderation import services
from apps.moderation.models import AuditEntry, ModerationCase
from apps.moderation.selectors import CaseFilters
from tests.conftest import wait_for_job


def make_cases(workspace, n: int, *, category: str = "spam", source: str = "app_store") -> list[int]:
    """n customer texts with a pending case each, written in bulk (the pipeline is tested elsewhere)."""
    texts = CustomerText.objects.bulk_create([
        CustomerText(workspace=workspace, text=f"Buy followers at www.spam{i}.example", original_text="x",
                     content_hash=f"{category}-{source}-{i}", is_live=True, moderation_status="hidden",
                     source=source)
        for i in range(n)
    ], batch_size=2000)
    ModerationCase.objects.bulk_create([
        ModerationCase(workspace=workspace, subject_type="customer_text", subject_id=str(t.pk), text=t.text,
                       source=source, categories=[category], scores={category: 2}, severity=2, auto_action="hide",
                       status="pending", subject_status="hidden")
        for t in texts
    ], batch_size=2000)
    return [t.pk for t in texts]


def test_bulk_reject_of_a_10k_filter_is_one_job_with_progress(make_member, monkeypatch):
    moderator = make_member("moderator")
    ws = moderator.workspace
    make_cases(ws, 10_000)
    make_cases(ws, 50, category="harassment", source="survey")  # not in the filter
    job = services.start_bulk_decision(moderator.ctx, "reject", filters=CaseFilters(status="pending",
                                                                                    category="spam"),
                                       note="Spam wave")
    assert job.total == 10_000 and job.kind == "moderation_bulk" and job.status == "queued"

    progress: list[int] = []
    chunk = services.bulk._decide_chunk

    def watching(job_, *args):
        progress.append(Job.objects.get(pk=job_.pk).done)
        return chunk(job_, *args)

    monkeypatch.setattr(services.bulk, "_decide_chunk", watching)
    services.run_bulk_decision(str(job.pk))  # the task's body, in this process
    job.refresh_from_db()
    assert job.status == "succeeded" and job.done == job.total == 10_000
    assert job.result == {"action": "reject", "decided": 10_000}
    assert progress == list(range(0, 10_000, services.BULK_CHUNK))  # progress after every chunk
    assert ModerationCase.objects.filter(workspace=ws, status="rejected").count() == 10_000
    assert ModerationCase.objects.filter(workspace=ws, status="pending").count() == 50
    assert CustomerText.objects.filter(workspace=ws, moderation_status="rejected").count() == 10_000
    entries = AuditEntry.objects.filter(workspace=ws, job=job)
    assert entries.count() == 10_000
    assert set(entries.values_list("action", "before_status", "after_status", "note", "actor").distinct()) == {
        ("reject", "hidden", "rejected", "Spam wave", moderator.user.pk)}


def test_bulk_job_resumes_after_a_crash(make_member, monkeypatch):
    moderator = make_member("moderator")
    make_cases(moderator.workspace, 1200)
    job = services.start_bulk_decision(moderator.ctx, "approve", filters=CaseFilters(status="pending"))
    calls = {"n": 0}
    chunk = services.bulk._decide_chunk

    def crash_on_second(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("worker lost")
        return chunk(*args)

    monkeypatch.setattr(services.bulk, "_decide_chunk", crash_on_second)
    with pytest.raises(ConnectionError):
        services.run_bulk_decision(str(job.pk))
    monkeypatch.setattr(services.bulk, "_decide_chunk", chunk)
    services.run_bulk_decision(str(job.pk))  # the retried task
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["decided"] == 1200
    assert AuditEntry.objects.filter(job=job).count() == 1200  # nothing twice


def test_bulk_on_a_selection_and_assignment(make_member):
    moderator = make_member("moderator")
    ids = make_cases(moderator.workspace, 5)
    cases = list(ModerationCase.objects.filter(workspace=moderator.workspace).order_by("pk"))
    job = services.start_bulk_decision(moderator.ctx, "assign", case_ids=[c.pk for c in cases[:3]],
                                       assignee_id=moderator.user.pk)
    services.run_bulk_decision(str(job.pk))
    assert ModerationCase.objects.filter(assigned_to=moderator.user).count() == 3
    job = services.start_bulk_decision(moderator.ctx, "send_back", case_ids=[cases[0].pk])
    services.run_bulk_decision(str(job.pk))
    cases[0].refresh_from_db()
    assert cases[0].assigned_to is None and cases[0].status == "pending"
    assert len(ids) == 5


def test_bulk_refuses_what_it_cannot_do(make_member):
    moderator, analyst = make_member("moderator"), make_member("analyst")
    make_cases(moderator.workspace, 3)
    with pytest.raises(services.ModerationError, match="one at a time"):
        services.start_bulk_decision(moderator.ctx, "edit", filters=CaseFilters())
    with pytest.raises(services.ModerationError, match="Choose cases"):
        services.start_bulk_decision(moderator.ctx, "approve")
    response = analyst.api().post("/api/v1/moderation/bulk", {"action": "approve", "filters": {"status": "pending"}},
                                  content_type="application/json")
    assert response.status_code == 403


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_bulk_decision_through_the_worker(make_member, celery_worker):
    moderator = make_member("moderator")
    make_cases(moderator.workspace, 1500)
    api = moderator.api()
    response = api.post("/api/v1/moderation/bulk",
                        {"action": "approve", "filters": {"status": "pending", "category": "spam"}, "note": "ok"},
                        content_type="application/json")
    assert response.status_code == 202 and response.json()["total"] == 1500
    job = wait_for_job(api, response.json()["job_id"], timeout=120)
    assert job["status"] == "succeeded" and job["done"] == job["total"] == 1500 and job["percent"] == 100
    assert ModerationCase.objects.filter(workspace=moderator.workspace, status="approved").count() == 1500
    assert CustomerText.objects.filter(workspace=moderator.workspace, moderation_status="approved").count() == 1500
    assert AuditEntry.objects.filter(workspace=moderator.workspace, action="approve").count() == 1500
