"""Retention: after a workspace's period, a scheduled job purges originals (text before redaction, authors,
uploaded files), keeping redacted texts, analyses, vectors and aggregates, and logs what it did."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.corpus.models import CustomerText, TextImport
from apps.corpus.services import Upload, start_import
from apps.embeddings.models import TextEmbedding
from apps.privacy import services, tasks
from apps.privacy.models import AuditAction, PrivacyAuditEntry, WorkspaceExport
from tests.conftest import import_now

from .helpers import corpus_csv


def test_owners_set_the_period_and_others_cannot(owner, make_member):
    api = owner.api()
    assert api.get("/api/v1/privacy/retention").json() == {"original_days": None, "last_purged_at": None}
    response = api.put("/api/v1/privacy/retention", {"original_days": 30}, content_type="application/json")
    assert response.status_code == 200 and response.json()["original_days"] == 30
    bad = api.put("/api/v1/privacy/retention", {"original_days": 0}, content_type="application/json")
    assert bad.status_code == 400 and "1 to 3650 days" in bad.json()["error"]
    analyst = make_member("analyst", owner.workspace.name)
    assert analyst.api().put("/api/v1/privacy/retention", {"original_days": 1},
                             content_type="application/json").status_code == 403
    entry = PrivacyAuditEntry.objects.get(action=AuditAction.RETENTION_CHANGE)
    assert entry.detail == {"original_days": 30, "before": None} and entry.actor == owner.user
    page = owner.browser().post("/privacy/retention/", {"original_days": ""}, follow=True)
    assert b"kept until you erase them" in page.content
    assert api.get("/api/v1/privacy/retention").json()["original_days"] is None


def test_the_scheduled_job_purges_expired_originals_only(owner, make_member):
    import_now(owner, "reviews.csv", corpus_csv())
    other = make_member("owner", "Keeps everything")
    import_now(other, "reviews.csv", corpus_csv())
    services.set_retention(owner.ctx, 30)
    texts = CustomerText.objects.filter(workspace=owner.workspace)
    old_ids = list(texts.order_by("pk").values_list("pk", flat=True)[:10])
    CustomerText.objects.filter(pk__in=old_ids + list(CustomerText.objects.filter(workspace=other.workspace)
                                                      .values_list("pk", flat=True))
                                ).update(created_at=timezone.now() - timedelta(days=40))
    stuck = start_import(owner.ctx, Upload("stuck.csv", corpus_csv(), {}))  # a file never processed
    TextImport.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(days=40))
    before = {t.pk: t.text for t in texts}

    result = tasks.apply_retention.apply().get()  # what beat runs
    assert result["purged"][owner.workspace.name] == {"texts": 10, "import_files": 1}
    for text in CustomerText.objects.filter(pk__in=old_ids):
        assert (text.original_text, text.author, text.author_digest) == ("", "", "")
        assert text.text == before[text.pk]  # the redacted text stays, and so do the vectors
    assert TextEmbedding.objects.filter(text_id__in=old_ids).count() == 10
    assert all(t.original_text for t in texts.exclude(pk__in=old_ids))  # recent ones are untouched
    assert all(t.original_text for t in CustomerText.objects.filter(workspace=other.workspace))  # no policy there
    assert bytes(TextImport.objects.get(pk=stuck.pk).payload) == b""
    entry = PrivacyAuditEntry.objects.get(action=AuditAction.RETENTION_PURGE)
    assert entry.actor_name == "system" and entry.detail["texts"] == 10 and entry.workspace == owner.workspace

    tasks.apply_retention.apply().get()  # idempotent: nothing left to purge, nothing logged
    assert PrivacyAuditEntry.objects.filter(action=AuditAction.RETENTION_PURGE).count() == 1
    page = owner.browser().get(f"/texts/{old_ids[0]}/")
    assert b"The original was purged" in page.content


def test_the_job_is_scheduled_and_also_expires_old_exports(owner):
    from config.celery import app

    call_command("setup_schedules")
    call_command("setup_schedules")  # idempotent: what the launcher runs on every start
    task = PeriodicTask.objects.get(task="apps.privacy.tasks.apply_retention")
    assert task.enabled and task.crontab is not None and task.queue == "default"
    assert "apps.privacy.tasks.apply_retention" in app.tasks
    export = services.start_export(owner.ctx)
    WorkspaceExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert services.apply_retention()["expired_exports"] == 1
    assert not WorkspaceExport.objects.filter(pk=export.pk).exists()
