import pytest

from apps.corpus.models import CustomerText, ImportStatus, TextImport
from apps.corpus.services import Upload, fail_import, process_import, start_import
from apps.embeddings.services import refresh_job
from apps.jobs.models import Job
from tests.conftest import import_now

CSV = (
    b"text,rating,date,source,author\n"
    b"The lamp is bright and warm,5,2026-10-01,app_store,Ann Lee\n"
    b"Battery died after the update. Email me: ann@example.com,1,2026-10-02,support_ticket,Ann Lee\n"
    b"<b>Setup</b> took two minutes,4,2026-10-03,survey,Bo\n"
)


def test_import_stores_clean_redacted_texts_and_finishes_job(owner):
    text_import = import_now(owner, "reviews.csv", CSV)
    refresh_job(str(text_import.job_id))
    texts = {t.rating: t for t in CustomerText.objects.filter(workspace=owner.workspace)}
    assert len(texts) == 3 and all(t.is_live for t in texts.values())
    assert texts[1].text == "Battery died after the update. Email me: [EMAIL]"
    assert "ann@example.com" in texts[1].original_text
    assert texts[4].text == "Setup took two minutes" and texts[4].language == "en"
    job = Job.objects.get(pk=text_import.job_id)
    assert job.status == "succeeded" and job.result["imported"] == 3 and len(job.result["text_ids"]) == 3
    assert job.done == job.total


def test_reimport_of_same_file_adds_nothing(owner):
    import_now(owner, "reviews.csv", CSV)
    second = import_now(owner, "reviews.csv", CSV)
    second.refresh_from_db()
    assert CustomerText.objects.filter(workspace=owner.workspace).count() == 3
    assert second.rows_new == 0 and second.rows_duplicate == 3


def test_same_text_in_two_workspaces_is_two_texts(make_member):
    a, b = make_member("owner", "A"), make_member("owner", "B")
    import_now(a, "r.csv", CSV)
    import_now(b, "r.csv", CSV)
    assert CustomerText.objects.filter(workspace=a.workspace).count() == 3
    assert CustomerText.objects.filter(workspace=b.workspace).count() == 3


def test_failed_import_leaves_no_rows(owner, monkeypatch):
    from apps.corpus import services

    text_import = start_import(owner.ctx, Upload("reviews.csv", CSV, {}))
    calls = {"n": 0}
    real = services.build_text

    def crash_on_third(imp, row):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker crashed")
        return real(imp, row)

    monkeypatch.setattr(services, "build_text", crash_on_third)
    monkeypatch.setattr("django.conf.settings.MURMUR_IMPORT_BATCH_SIZE", 2)
    with pytest.raises(RuntimeError):
        process_import(text_import.pk)
    assert CustomerText.objects.filter(workspace=owner.workspace, is_live=True).count() == 0
    fail_import(text_import.pk, "stopped")
    assert CustomerText.objects.filter(workspace=owner.workspace).count() == 0
    assert Job.objects.get(pk=text_import.job_id).status == "failed"


def test_rerun_after_crash_completes_exactly_once(owner, monkeypatch):
    from apps.corpus import services

    text_import = start_import(owner.ctx, Upload("reviews.csv", CSV, {}))
    real = services.build_text
    state = {"n": 0}

    def crash_once(imp, row):
        state["n"] += 1
        if state["n"] == 3:
            raise RuntimeError("killed")
        return real(imp, row)

    monkeypatch.setattr(services, "build_text", crash_once)
    monkeypatch.setattr("django.conf.settings.MURMUR_IMPORT_BATCH_SIZE", 2)
    with pytest.raises(RuntimeError):
        process_import(text_import.pk)
    process_import(text_import.pk)  # the retried task
    process_import(text_import.pk)  # and a duplicate delivery after the commit
    assert CustomerText.objects.filter(workspace=owner.workspace, is_live=True).count() == 3
    assert TextImport.objects.get(pk=text_import.pk).status == ImportStatus.COMMITTED


def test_viewer_cannot_import(make_member):
    from apps.accounts.context import PermissionDenied

    viewer = make_member("viewer")
    with pytest.raises(PermissionDenied):
        start_import(viewer.ctx, Upload("r.csv", CSV, {}))
