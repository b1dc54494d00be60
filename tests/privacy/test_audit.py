"""Audit: who viewed originals (one entry per request), exported, erased, changed retention; an append-only log
that owners see on the Privacy page and through the API, and nobody else."""

from __future__ import annotations

import pytest
from django.contrib import admin

from apps.corpus.models import CustomerText
from apps.privacy.models import AuditAction, PrivacyAuditEntry
from tests.conftest import import_now

from .helpers import corpus_csv


def _views(workspace) -> list[PrivacyAuditEntry]:
    return list(PrivacyAuditEntry.objects.filter(workspace=workspace, action=AuditAction.VIEW_ORIGINALS)
                .order_by("created_at", "id"))


def test_viewing_originals_is_logged_once_per_request_and_only_when_shown(owner, make_member):
    import_now(owner, "reviews.csv", corpus_csv())
    text = CustomerText.objects.filter(workspace=owner.workspace).first()
    assert owner.api().get("/api/v1/texts?limit=20").status_code == 200
    entries = _views(owner.workspace)
    assert len(entries) == 1 and entries[0].detail["texts"] == 20 and entries[0].detail["channel"] == "api"
    assert entries[0].actor == owner.user and entries[0].actor_name == owner.user.username
    owner.api().get(f"/api/v1/texts/{text.pk}")
    owner.browser().get(f"/texts/{text.pk}/")
    assert [(e.detail["channel"], e.detail["text_ids"]) for e in _views(owner.workspace)[1:]] == [
        ("api", [text.pk]), ("page", [text.pk])]
    analyst = make_member("analyst", owner.workspace.name)
    analyst.api().get("/api/v1/texts")  # no originals in the answer: nothing to log
    analyst.browser().get(f"/texts/{text.pk}/")
    assert len(_views(owner.workspace)) == 3


@pytest.mark.django_db
def test_the_log_is_append_only():
    entry = PrivacyAuditEntry.objects.create(actor_name="system", action=AuditAction.EXPORT)
    entry.detail = {"changed": True}
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        PrivacyAuditEntry.objects.filter(pk=entry.pk).update(action=AuditAction.ERASURE)
    with pytest.raises(PermissionError):
        PrivacyAuditEntry.objects.all().delete()
    model_admin = admin.site._registry[PrivacyAuditEntry]
    assert not model_admin.has_change_permission(None, entry) and not model_admin.has_delete_permission(None, entry)
    assert not model_admin.has_add_permission(None)


def test_owners_see_the_log_on_the_page_and_through_the_api(owner, make_member):
    import_now(owner, "reviews.csv", corpus_csv())
    owner.api().get("/api/v1/texts")
    owner.api().post("/api/v1/privacy/exports", {}, content_type="application/json")
    log = owner.api().get("/api/v1/privacy/audit").json()
    assert log["count"] == 2 and [r["action"] for r in log["results"]] == ["export", "view_originals"]
    assert log["results"][1]["action_label"] == "Viewed originals" and log["results"][1]["actor"] == owner.user.username
    page = owner.browser().get("/privacy/")
    assert page.status_code == 200 and b"Privacy log" in page.content and b"Viewed originals" in page.content
    assert b'href="/privacy/"' in owner.browser().get("/").content  # in the navigation, for owners
    for role in ("analyst", "moderator", "viewer"):
        member = make_member(role, owner.workspace.name)
        assert member.api().get("/api/v1/privacy/audit").status_code == 403
        assert member.browser().get("/privacy/").status_code == 403
        assert b'href="/privacy/"' not in member.browser().get("/").content
    stranger = make_member("owner", "Elsewhere")
    assert stranger.api().get("/api/v1/privacy/audit").json()["count"] == 0
