"""The audit log: every decision is recorded, and nothing in the application can change or delete an entry."""

import pytest
from django.contrib.admin.sites import site
from django.db.models import RestrictedError
from django.test import RequestFactory

from apps.moderation import services
from apps.moderation.models import AuditEntry, ModerationCase

from .helpers import SMALL_CSV, case_for, import_and_screen, without_judge


@pytest.fixture
def screened(make_member):
    owner = make_member("owner")
    without_judge(owner.workspace)
    import_and_screen(owner, "small.csv", SMALL_CSV)
    return owner


def test_each_decision_is_logged_with_who_when_before_and_after(screened, make_member):
    moderator = make_member("moderator")
    case = case_for(screened.workspace, "absolute idiots")
    services.decide(moderator.ctx, case.pk, "edit", text="Support is slow.", note="Removed the insults")
    services.decide(screened.ctx, case.pk, "reject", note="Still not feedback")
    edit, reject = AuditEntry.objects.filter(case=case).order_by("id")
    assert (edit.actor, edit.actor_name, edit.action) == (moderator.user, moderator.user.username, "edit")
    assert (edit.before_status, edit.after_status) == ("pending", "approved")
    assert "absolute idiots" in edit.before_text and edit.after_text == "Support is slow."
    assert edit.note == "Removed the insults" and edit.created_at is not None and edit.workspace == case.workspace
    assert (reject.actor, reject.before_status, reject.after_status) == (screened.user, "approved", "rejected")
    assert reject.before_text == reject.after_text == "Support is slow."


def test_entries_cannot_be_changed_or_deleted(screened):
    case = case_for(screened.workspace, "absolute idiots")
    entry = services.decide(screened.ctx, case.pk, "approve").audit_entries.get()
    entry.note = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="rewritten")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(RestrictedError):
        ModerationCase.objects.filter(pk=case.pk).delete()  # a decided case keeps its log
    entry.refresh_from_db()
    assert entry.note == ""
    # Deleting the whole workspace takes its log with it.
    screened.workspace.delete()
    assert not AuditEntry.objects.filter(pk=entry.pk).exists()


def test_admin_shows_the_log_read_only(screened):
    user = screened.user
    user.is_staff = user.is_superuser = True
    user.save()
    case = case_for(screened.workspace, "absolute idiots")
    entry = services.decide(screened.ctx, case.pk, "approve", note="ok").audit_entries.get()
    model_admin = site._registry[AuditEntry]
    request = RequestFactory().get("/admin/")
    request.user = user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    browser = screened.browser()
    assert browser.get("/admin/moderation/auditentry/").status_code == 200
    page = browser.get(f"/admin/moderation/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content  # view only
    assert browser.post(f"/admin/moderation/auditentry/{entry.pk}/change/", {"note": "x"}).status_code == 403
    assert browser.get(f"/admin/moderation/auditentry/{entry.pk}/delete/").status_code == 403
    assert browser.post(f"/admin/moderation/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert browser.get(f"/admin/moderation/moderationcase/{case.pk}/delete/").status_code == 403
    entry.refresh_from_db()
    assert entry.note == "ok"


def test_admin_queue_decides_through_the_services(screened, make_member):
    user = screened.user
    user.is_staff = user.is_superuser = True
    user.save()
    browser = screened.browser()
    listing = browser.get("/admin/moderation/moderationcase/?status__exact=pending")
    assert listing.status_code == 200 and b'class="sev sev-' in listing.content
    case = case_for(screened.workspace, "absolute idiots")
    page = browser.get(f"/admin/moderation/moderationcase/{case.pk}/change/")
    assert page.status_code == 200 and b'<mark class="flagged">' in page.content
    response = browser.post(f"/admin/moderation/moderationcase/{case.pk}/decide/", {"action": "reject",
                                                                                    "note": "abuse"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "rejected" and case.audit_entries.get().actor == user
    # The list's bulk action goes through the same service and its log.
    spam = case_for(screened.workspace, "Buy Instagram")
    browser.post("/admin/moderation/moderationcase/", {"action": "approve_selected", "_selected_action": [spam.pk]})
    spam.refresh_from_db()
    assert spam.status == "approved" and spam.audit_entries.get().action == "approve"
    # A staff user who is not a moderator of the workspace cannot decide there.
    stranger = make_member("owner", "Elsewhere")
    stranger.user.is_staff = stranger.user.is_superuser = True
    stranger.user.save()
    injection = case_for(screened.workspace, "Ignore previous")
    stranger.browser().post(f"/admin/moderation/moderationcase/{injection.pk}/decide/", {"action": "approve"})
    injection.refresh_from_db()
    assert injection.status == "pending" and not injection.audit_entries.exists()
