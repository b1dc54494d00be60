"""Export: the whole workspace as a zip of JSON/CSV files, built by one job with progress, downloadable by
owners only, originals only on request (and logged); and deleting the whole workspace."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.apps import apps

from apps.accounts.models import Workspace
from apps.corpus.models import CustomerText
from apps.jobs.models import Job
from apps.llm.models import LLMCacheEntry
from apps.moderation import services as moderation
from apps.privacy import services
from apps.privacy.exports import csv_cell
from apps.privacy.models import AuditAction, PrivacyAuditEntry, WorkspaceExport
from tests.conftest import import_now, wait_for_job
from tests.moderation.helpers import without_judge

from .helpers import CUSTOMER, EMAIL, corpus_csv

FORMULAS = b'"=HYPERLINK(""http://evil.example"")",1\n"+1 star, meh",2\n"@support never answered",1\n"-so so",3\n'


def _texts_with_formulas() -> bytes:
    """The usual reviews plus texts a spreadsheet would run as formulas."""
    return corpus_csv() + b"".join(line + b",2026-10-27,\n" for line in FORMULAS.splitlines())


def _export(member, **body) -> tuple[WorkspaceExport, zipfile.ZipFile]:
    response = member.api().post("/api/v1/privacy/exports", body, content_type="application/json")
    assert response.status_code == 202, response.content
    export_id = response.json()["export_id"]
    services.build_export(export_id)  # the task's body, in this process
    download = member.api().get(f"/api/v1/privacy/exports/{export_id}/download")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    return WorkspaceExport.objects.get(pk=export_id), zipfile.ZipFile(io.BytesIO(download.content))


def test_csv_cells_that_would_run_as_formulas_are_neutralised():
    assert [csv_cell(v) for v in ("=1+1", "+1", "-2", "@x", "\tx", "ok", None, 3)] == [
        "'=1+1", "'+1", "'-2", "'@x", "'\tx", "ok", "", "3"]


def test_export_is_one_job_with_progress_and_redacted_by_default(owner):
    without_judge(owner.workspace)
    text_import = import_now(owner, "reviews.csv", _texts_with_formulas())
    moderation.screen_texts(str(moderation.start_import_screening(owner.workspace.pk, text_import.pk).pk))
    export, archive = _export(owner)
    job = Job.objects.get(pk=export.job_id)
    assert job.kind == "export" and job.status == "succeeded" and job.percent == 100 and job.done == job.total
    assert set(archive.namelist()) >= {"texts.csv", "texts.json", "analyses.json", "copy.json", "moderation.json",
                                       "manifest.json"}
    rows = list(csv.DictReader(io.StringIO(archive.read("texts.csv").decode("utf-8-sig"))))
    count = CustomerText.objects.filter(workspace=owner.workspace).count()
    assert len(rows) == count and "original_text" not in rows[0] and "author" not in rows[0]
    cells = {r["text"] for r in rows}
    assert "'=HYPERLINK(\"http://evil.example\")" in cells and "'@support never answered" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for r in rows for c in r.values())
    texts = json.loads(archive.read("texts.json"))
    assert len(texts) == count and EMAIL not in archive.read("texts.json").decode()
    assert EMAIL not in archive.read("texts.csv").decode()
    moderation_data = json.loads(archive.read("moderation.json"))
    assert len(moderation_data["cases"]) == count
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["include_originals"] is False and manifest["texts"] == count
    (raw,) = WorkspaceExport.objects.filter(pk=export.pk).values_list("archive", flat=True)  # decrypted by the field
    assert raw and export.size_bytes == len(raw)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT substring(archive from 1 for 6) FROM privacy_workspaceexport WHERE id = %s", [export.pk])
        assert bytes(cursor.fetchone()[0]) == b"gAAAAA"  # encrypted at rest
    actions = list(PrivacyAuditEntry.objects.filter(workspace=owner.workspace).values_list("action", flat=True))
    assert AuditAction.EXPORT in actions and AuditAction.DOWNLOAD_EXPORT in actions


def test_originals_only_when_asked_and_the_log_says_so(owner):
    import_now(owner, "reviews.csv", corpus_csv())
    _, archive = _export(owner, include_originals=True)
    rows = list(csv.DictReader(io.StringIO(archive.read("texts.csv").decode("utf-8-sig"))))
    assert any(EMAIL in r["original_text"] for r in rows) and any(r["author"] == CUSTOMER for r in rows)
    started = PrivacyAuditEntry.objects.get(action=AuditAction.EXPORT)
    assert started.detail["include_originals"] is True and started.actor == owner.user


def test_only_owners_of_the_workspace_export_and_download(owner, make_member):
    import_now(owner, "reviews.csv", corpus_csv())
    export, _ = _export(owner)
    analyst = make_member("analyst", owner.workspace.name)
    assert analyst.api().post("/api/v1/privacy/exports", {}, content_type="application/json").status_code == 403
    assert analyst.api().get(f"/api/v1/privacy/exports/{export.pk}/download").status_code == 403
    stranger = make_member("owner", "Elsewhere")
    assert stranger.api().get(f"/api/v1/privacy/exports/{export.pk}/download").status_code == 404
    assert owner.api().get("/api/v1/privacy/exports").json()[0]["download_url"].endswith("/download")
    unfinished = services.start_export(owner.ctx)
    response = owner.api().get(f"/api/v1/privacy/exports/{unfinished.pk}/download")
    assert response.status_code == 400 and "not ready" in response.json()["error"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_export_runs_as_a_job_on_a_worker(owner, celery_worker):
    # Rows written directly: an import here would queue embedding work that outlives the test's data.
    CustomerText.objects.bulk_create([
        CustomerText(workspace=owner.workspace, text=f"Review {i} [EMAIL]", original_text=f"Review {i} {EMAIL}",
                     author=CUSTOMER, content_hash=str(i), is_live=True) for i in range(50)])
    response = owner.api().post("/api/v1/privacy/exports", {}, content_type="application/json")
    job = wait_for_job(owner.api(), response.json()["job_id"], timeout=120)
    assert job["status"] == "succeeded", job
    assert job["percent"] == 100 and "Export ready" in job["message"]
    download = owner.api().get(job["result"]["download_url"])
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert archive.testzip() is None and len(json.loads(archive.read("texts.json"))) == 50


def test_deleting_the_workspace_removes_all_its_data_and_keeps_the_record(owner, make_member):
    other = make_member("owner", "Beta")
    import_now(owner, "reviews.csv", corpus_csv())
    import_now(other, "reviews.csv", corpus_csv())
    services.start_export(owner.ctx)
    services.set_retention(owner.ctx, 90)
    LLMCacheEntry.objects.create(key="k" * 64, workspace=owner.workspace, output={})
    workspace_id = owner.workspace.pk
    api = owner.api()
    wrong = api.post("/api/v1/privacy/workspace/delete", {"confirm_name": "acme"}, content_type="application/json")
    assert wrong.status_code == 400 and "exactly" in wrong.json()["error"]
    assert Workspace.objects.filter(pk=workspace_id).exists()
    assert make_member("analyst", owner.workspace.name).api().post(
        "/api/v1/privacy/workspace/delete", {"confirm_name": owner.workspace.name},
        content_type="application/json").status_code == 403
    done = api.post("/api/v1/privacy/workspace/delete", {"confirm_name": owner.workspace.name},
                    content_type="application/json")
    assert done.status_code == 200 and done.json()["counts"]["texts"] == 20
    assert not Workspace.objects.filter(pk=workspace_id).exists()
    for model in apps.get_models():  # nothing anywhere still points at the workspace
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Workspace:
                assert not model._base_manager.filter(**{field.attname: workspace_id}).exists(), model
    assert CustomerText.objects.filter(workspace=other.workspace).count() == 20  # the other workspace is intact
    record = PrivacyAuditEntry.objects.get(action=AuditAction.DELETE_WORKSPACE)
    assert record.workspace is None and record.workspace_name == "Acme" and record.detail["texts"] == 20
    assert owner.api().get("/api/v1/texts").status_code == 401  # the token went with the membership


def test_deleting_from_the_page(owner):
    browser = owner.browser()
    response = browser.post("/privacy/workspace/delete/", {"confirm_name": owner.workspace.name})
    assert response.status_code == 302 and not Workspace.objects.filter(name="Acme").exists()
