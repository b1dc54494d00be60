"""Undoing the last decision: the case, its subject and an edited text go back as they were; only the
decider's own latest decision, within the window; the undo is in the audit log; workspaces stay apart."""

from datetime import timedelta

import pytest

from apps.accounts.context import PermissionDenied
from apps.corpus.models import CustomerText
from apps.moderation import services
from apps.moderation.models import AuditEntry, ModerationCase
from apps.moderation.services import decisions
from apps.moderation.signals import subjects_moderated

from .helpers import SMALL_CSV, case_for, import_and_screen, status_of, without_judge


@pytest.fixture
def team(make_member):
    owner = make_member("owner")
    without_judge(owner.workspace)
    import_and_screen(owner, "small.csv", SMALL_CSV)
    return {role: make_member(role) if role != "owner" else owner for role in ("owner", "moderator", "viewer")}


def _state(case: ModerationCase) -> tuple:
    case.refresh_from_db()
    return (case.status, case.subject_status, case.final_text, case.decision, case.decided_by_id, case.decided_at,
            case.assigned_to_id)


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_undo_puts_the_case_and_the_text_status_back(team, action):
    moderator = team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    services.assign(moderator.ctx, case.pk, moderator.user.pk)
    before = _state(case)
    assert before[:2] == ("pending", "pending")
    services.decide(moderator.ctx, case.pk, action, note="Oops, wrong key")
    assert status_of(moderator.workspace, "absolute idiots") == ("approved" if action == "approve" else "rejected")

    undone = services.undo_last_decision(moderator.ctx, case.pk)
    assert undone.status == "pending" and _state(case) == before  # assignee and all
    assert status_of(moderator.workspace, "absolute idiots") == "pending"


def test_undo_of_send_back_restores_the_decision_and_the_assignee(team):
    moderator = team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    services.assign(moderator.ctx, case.pk, moderator.user.pk)
    services.decide(moderator.ctx, case.pk, "reject")
    before = _state(case)
    services.decide(moderator.ctx, case.pk, "send_back")  # clears the decision and the assignee
    services.undo_last_decision(moderator.ctx, case.pk)
    assert _state(case) == before and before[3] == "reject" and before[6] == moderator.user.pk
    assert status_of(moderator.workspace, "absolute idiots") == "rejected"


def test_undo_of_an_edit_gives_the_text_its_words_back(team):
    moderator = team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    original = CustomerText.objects.get(pk=int(case.subject_id)).text
    services.decide(moderator.ctx, case.pk, "edit", text="Support is slow.")
    assert CustomerText.objects.get(pk=int(case.subject_id)).text == "Support is slow."

    services.undo_last_decision(moderator.ctx, case.pk)
    case.refresh_from_db()
    text = CustomerText.objects.get(pk=int(case.subject_id))
    assert (case.status, case.final_text, case.decision) == ("pending", "", "")
    assert text.text == original and text.moderation_status == "pending"


def test_undo_of_an_approval_after_an_edit_keeps_the_edit(team):
    moderator = team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    services.decide(moderator.ctx, case.pk, "edit", text="Support is slow.")
    services.decide(moderator.ctx, case.pk, "reject")
    services.undo_last_decision(moderator.ctx, case.pk)
    case.refresh_from_db()
    assert (case.status, case.final_text, case.decision) == ("approved", "Support is slow.", "edit")
    assert CustomerText.objects.get(pk=int(case.subject_id)).text == "Support is slow."


def test_generated_subjects_hear_the_undo_with_their_earlier_text(team, django_capture_on_commit_callbacks):
    """Copy variants and reply drafts learn outcomes from the signal: an undone edit sends the earlier text."""
    owner, moderator = team["owner"], team["moderator"]
    verdict = services.moderate_generated(owner.workspace, "reply_draft", "41", "Your support team are idiots.")
    heard: list[dict] = []

    def listen(sender, *, changes, **kwargs):
        heard.extend(changes)

    subjects_moderated.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.decide(moderator.ctx, verdict.case_id, "edit", text="Your support team was slow.")
        with django_capture_on_commit_callbacks(execute=True):
            services.undo_last_decision(moderator.ctx, verdict.case_id)
    finally:
        subjects_moderated.disconnect(listen)
    edit, undo = heard
    assert edit["text"] == "Your support team was slow." and edit["status"] == "approved"
    assert undo == {"subject_id": "41", "status": verdict.status, "text": "Your support team are idiots.",
                    "case_id": verdict.case_id}


def test_undo_is_written_to_the_audit_log(team):
    moderator = team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    services.decide(moderator.ctx, case.pk, "edit", text="Support is slow.")
    services.undo_last_decision(moderator.ctx, case.pk)
    edit, undo = AuditEntry.objects.filter(case=case).order_by("id")
    assert (undo.actor, undo.actor_name, undo.action, undo.workspace) == (
        moderator.user, moderator.user.username, "undo", moderator.workspace)
    assert (undo.before_status, undo.after_status) == ("approved", "pending")
    assert undo.before_text == "Support is slow." and "absolute idiots" in undo.after_text
    assert undo.note.startswith("Undid “Edit and approve” of ")
    assert edit.previous_state["status"] == "pending" and undo.previous_state["decision"] == "edit"


def test_undo_twice_is_refused(team):
    moderator = team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    services.decide(moderator.ctx, case.pk, "approve")
    services.undo_last_decision(moderator.ctx, case.pk)
    with pytest.raises(services.UndoRefused, match="no decision to undo"):
        services.undo_last_decision(moderator.ctx, case.pk)
    assert case.audit_entries.count() == 2


def test_only_the_latest_action_of_the_decider_within_the_window(team, monkeypatch):
    owner, moderator = team["owner"], team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    with pytest.raises(services.UndoRefused, match="no decision to undo"):
        services.undo_last_decision(moderator.ctx, case.pk)  # nothing decided yet
    services.decide(moderator.ctx, case.pk, "approve")
    with pytest.raises(services.UndoRefused, match="Only moderator-acme can undo"):
        services.undo_last_decision(owner.ctx, case.pk)  # a colleague decides again instead
    services.assign(owner.ctx, case.pk, owner.user.pk)
    with pytest.raises(services.UndoRefused, match="latest action is not a decision"):
        services.undo_last_decision(moderator.ctx, case.pk)
    services.decide(moderator.ctx, case.pk, "reject")
    monkeypatch.setattr(decisions, "UNDO_WINDOW", timedelta(0))
    with pytest.raises(services.UndoRefused, match="can be undone for 0 minutes only"):
        services.undo_last_decision(moderator.ctx, case.pk)
    case.refresh_from_db()
    assert case.status == "rejected" and case.audit_entries.count() == 3


def test_bulk_decisions_and_cases_moderated_again_are_refused(team):
    moderator = team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    job = services.start_bulk_decision(moderator.ctx, "approve", case_ids=[case.pk])
    services.run_bulk_decision(str(job.pk))
    with pytest.raises(services.UndoRefused, match="in bulk"):
        services.undo_last_decision(moderator.ctx, case.pk)

    verdict = services.moderate_generated(moderator.workspace, "copy_variant", "7", "Your support staff are idiots.")
    services.decide(moderator.ctx, verdict.case_id, "approve")
    # A new version of the variant is judged afresh: the approval no longer describes the case.
    services.moderate_generated(moderator.workspace, "copy_variant", "7", "Our support staff never answer.")
    with pytest.raises(services.UndoRefused, match="changed after this decision"):
        services.undo_last_decision(moderator.ctx, verdict.case_id)


def test_other_workspaces_case_is_not_found(team, make_member):
    moderator = team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    services.decide(moderator.ctx, case.pk, "approve")
    other = make_member("moderator", "Globex", username=moderator.user.username)  # the same person elsewhere
    with pytest.raises(services.CaseNotFound):
        services.undo_last_decision(other.ctx, case.pk)
    with pytest.raises(services.CaseNotFound):
        services.undo_last_decision(moderator.ctx, 999_999)
    case.refresh_from_db()
    assert case.status == "approved"


def test_viewers_cannot_undo(team):
    moderator, viewer = team["moderator"], team["viewer"]
    case = case_for(moderator.workspace, "absolute idiots")
    services.decide(moderator.ctx, case.pk, "approve")
    with pytest.raises(PermissionDenied):
        services.undo_last_decision(viewer.ctx, case.pk)
    case.refresh_from_db()
    assert case.status == "approved" and case.audit_entries.count() == 1


def undo(member, case_id):
    return member.api().post(f"/api/v1/moderation/cases/{case_id}/undo")


def test_api_undoes_and_explains_refusals(team, make_member):
    moderator, owner, viewer = team["moderator"], team["owner"], team["viewer"]
    case = case_for(moderator.workspace, "absolute idiots")
    api = moderator.api()
    decided = api.post(f"/api/v1/moderation/cases/{case.pk}/decision", {"action": "reject"},
                       content_type="application/json")
    assert decided.json()["status"] == "rejected"
    assert undo(viewer, case.pk).status_code == 403
    refused = undo(owner, case.pk)
    assert refused.status_code == 409 and "Only moderator-acme can undo" in refused.json()["error"]
    assert undo(make_member("owner", "Globex"), case.pk).status_code == 404

    response = undo(moderator, case.pk)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["subject_status"], body["decision"], body["decided_by"]) == (
        "pending", "pending", "", None)
    again = undo(moderator, case.pk)
    assert again.status_code == 409 and "no decision to undo" in again.json()["error"]
    audit = api.get(f"/api/v1/moderation/cases/{case.pk}").json()["audit"]
    assert [e["action"] for e in audit] == ["reject", "undo"]


def test_pages_offer_undo_after_a_decision_and_undo_it(team):
    moderator, owner = team["moderator"], team["owner"]
    ws = moderator.workspace
    case = case_for(ws, "absolute idiots")
    browser = moderator.browser()
    assert b'id="undo-form"' not in browser.get("/moderation/").content  # nothing decided yet
    decided = browser.post(f"/moderation/cases/{case.pk}/decide/", {"action": "approve", "query": "status=pending"})
    page = browser.get(decided["Location"]).content.decode()
    assert f'action="/moderation/cases/{case.pk}/undo/"' in page and "<strong>approve</strong>" in page
    assert b'id="undo-form"' in browser.get("/moderation/").content
    assert b'id="undo-form"' not in owner.browser().get("/moderation/").content  # not the owner's decision

    undone = browser.post(f"/moderation/cases/{case.pk}/undo/", {"query": "status=pending"})
    assert undone["Location"] == f"/moderation/cases/{case.pk}/?status=pending"
    page = browser.get(undone["Location"]).content.decode()
    assert "decision undone; it is pending review again" in page and 'id="undo-form"' not in page
    case.refresh_from_db()
    assert case.status == "pending" and status_of(ws, "absolute idiots") == "pending"

    refused = browser.post(f"/moderation/cases/{case.pk}/undo/", {"query": ""}, follow=True)
    assert "no decision to undo" in refused.content.decode()
    assert browser.get(f"/moderation/cases/{case.pk}/undo/").status_code == 405
    assert team["viewer"].browser().post(f"/moderation/cases/{case.pk}/undo/").status_code == 403
