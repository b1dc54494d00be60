"""The moderation API and pages: who may read and decide, what a decision does, isolation of workspaces."""

import pytest

from apps.corpus.models import CustomerText
from apps.moderation import services
from apps.moderation.models import AuditEntry, ModerationCase

from .helpers import SMALL_CSV, case_for, import_and_screen, status_of, without_judge


@pytest.fixture
def team(make_member):
    owner = make_member("owner")
    without_judge(owner.workspace)
    import_and_screen(owner, "small.csv", SMALL_CSV)
    return {role: make_member(role) if role != "owner" else owner
            for role in ("owner", "moderator", "analyst", "viewer")}


def decision(member, case_id, **body):
    return member.api().post(f"/api/v1/moderation/cases/{case_id}/decision", body, content_type="application/json")


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_viewers_and_analysts_cannot_moderate(team, role):
    member = team[role]
    case = case_for(member.workspace, "absolute idiots")
    response = decision(member, case.pk, action="approve")
    assert response.status_code == 403
    assert "does not allow" in response.json()["error"]
    assert member.api().get("/api/v1/moderation/cases").status_code == 403
    assert member.api().get(f"/api/v1/moderation/cases/{case.pk}").status_code == 403
    assert member.api().post("/api/v1/moderation/bulk", {"action": "approve", "case_ids": [case.pk]},
                             content_type="application/json").status_code == 403
    assert member.api().get("/api/v1/moderation/metrics").status_code == 403
    browser = member.browser()
    assert browser.get("/moderation/").status_code == 403
    assert browser.get(f"/moderation/cases/{case.pk}/").status_code == 403
    assert browser.post(f"/moderation/cases/{case.pk}/decide/", {"action": "approve"}).status_code == 403
    assert b"/moderation/" not in browser.get("/").content  # no nav link
    case.refresh_from_db()
    assert case.status == "pending" and not AuditEntry.objects.filter(case=case).exists()


@pytest.mark.parametrize("role", ["owner", "moderator"])
def test_owners_and_moderators_decide(team, role):
    member = team[role]
    case = case_for(member.workspace, "absolute idiots")
    listing = member.api().get("/api/v1/moderation/cases?status=pending").json()
    assert case.pk in [c["id"] for c in listing["results"]]
    response = decision(member, case.pk, action="reject", note="Abusive.")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected" and response.json()["decided_by"] == member.user.username
    assert status_of(member.workspace, "absolute idiots") == "rejected"
    browser = member.browser()
    assert browser.get("/moderation/").status_code == 200
    assert b'href="/moderation/"' in browser.get("/").content  # the nav link


def test_queue_lists_by_severity_with_filters(team):
    api = team["moderator"].api()
    results = api.get("/api/v1/moderation/cases?status=pending").json()["results"]
    severities = [c["severity"] for c in results]
    assert severities == sorted(severities, reverse=True) and len(results) == 3
    spam = api.get("/api/v1/moderation/cases?status=pending&category=spam").json()
    assert spam["count"] == 1 and spam["results"][0]["categories"] == ["spam"]
    assert spam["results"][0]["subject_status"] == "hidden" and spam["results"][0]["stage"] == "fast"
    assert api.get("/api/v1/moderation/cases?status=approved").json()["count"] == 1
    assert api.get("/api/v1/moderation/cases?status=all").json()["count"] == 4
    assert api.get("/api/v1/moderation/cases?status=all&source=survey").json()["count"] == 2
    assert api.get("/api/v1/moderation/cases?status=all&stage=llm").json()["count"] == 0
    assert api.get("/api/v1/moderation/cases?date_from=2000-01-01&status=all").json()["count"] == 4
    assert api.get("/api/v1/moderation/cases?date_to=2000-01-01&status=all").json()["count"] == 0


def test_every_decision(team):
    moderator = team["moderator"]
    ws = moderator.workspace
    spam = case_for(ws, "Buy Instagram")
    insult = case_for(ws, "absolute idiots")
    injection = case_for(ws, "Ignore previous")

    assert decision(moderator, spam.pk, action="approve").json()["status"] == "approved"
    assert status_of(ws, "Buy Instagram") == "approved"

    edited = decision(moderator, insult.pk, action="edit", text="Support did not read my emails.", note="Toned down")
    assert edited.status_code == 200
    assert edited.json()["final_text"] == "Support did not read my emails." and edited.json()["status"] == "approved"
    text = CustomerText.objects.get(pk=int(insult.subject_id))
    assert text.text == "Support did not read my emails." and text.moderation_status == "approved"

    assert decision(moderator, injection.pk, action="reject").json()["subject_status"] == "rejected"
    back = decision(moderator, injection.pk, action="send_back", note="Second opinion please")
    assert back.json()["status"] == "pending" and back.json()["subject_status"] == "hidden"  # as the policy had it
    assert back.json()["decision"] == ""

    detail = moderator.api().get(f"/api/v1/moderation/cases/{injection.pk}").json()
    assert [e["action"] for e in detail["audit"]] == ["reject", "send_back"]
    assert detail["audit"][1]["note"] == "Second opinion please"


def test_decision_errors_are_sentences(team):
    moderator = team["moderator"]
    case = case_for(moderator.workspace, "absolute idiots")
    bad = decision(moderator, case.pk, action="delete")
    assert bad.status_code == 400 and "choose one of" in bad.json()["error"]
    no_text = decision(moderator, case.pk, action="edit")
    assert no_text.status_code == 400 and "corrected text" in no_text.json()["error"]
    assert decision(moderator, 999_999, action="approve").status_code == 404
    case.refresh_from_db()
    assert case.status == "pending"


def test_notes_and_assignment(team):
    moderator, analyst = team["moderator"], team["analyst"]
    case = case_for(moderator.workspace, "absolute idiots")
    api = moderator.api()
    note = api.post(f"/api/v1/moderation/cases/{case.pk}/notes", {"body": "Customer is angry about tickets."},
                    content_type="application/json")
    assert note.status_code == 201 and note.json()["author"] == moderator.user.username
    assigned = api.post(f"/api/v1/moderation/cases/{case.pk}/assign", {"user_id": moderator.user.pk},
                        content_type="application/json")
    assert assigned.json()["assigned_to"] == moderator.user.username
    mine = api.get("/api/v1/moderation/cases?assigned_to=me").json()
    assert [c["id"] for c in mine["results"]] == [case.pk]
    wrong = api.post(f"/api/v1/moderation/cases/{case.pk}/assign", {"user_id": analyst.user.pk},
                     content_type="application/json")
    assert wrong.status_code == 400 and "owner or a moderator" in wrong.json()["error"]
    detail = api.get(f"/api/v1/moderation/cases/{case.pk}").json()
    assert detail["notes"][0]["body"] == "Customer is angry about tickets."
    assert detail["audit"][0]["action"] == "assign"


def test_metrics(team):
    moderator = team["moderator"]
    ws = moderator.workspace
    decision(moderator, case_for(ws, "absolute idiots").pk, action="reject")
    decision(moderator, case_for(ws, "Buy Instagram").pk, action="approve")
    m = moderator.api().get("/api/v1/moderation/metrics").json()
    assert m["queue_size"] == 1 and m["oldest_pending_age_s"] >= 0
    assert m["decisions_per_day"][-1]["decisions"] == 2
    by_category = {a["category"]: a for a in m["agreement"]}
    assert by_category["harassment"]["decided"] == 1 and by_category["harassment"]["agreement"] == 1.0
    assert by_category["spam"]["flagged_then_approved"] == 1 and by_category["spam"]["agreement"] == 0.0
    assert by_category["spam"]["by_severity"]["3"] == {"decided": 1, "rejected": 0}


def test_policy_is_per_workspace_and_owners_change_it(team):
    owner, moderator = team["owner"], team["moderator"]
    assert moderator.api().get("/api/v1/moderation/policy").json()["rules"]["spam"] == {"threshold": 2,
                                                                                         "action": "hide"}
    body = {"rules": {"harassment": {"threshold": 2, "action": "hide"}}}
    assert moderator.api().put("/api/v1/moderation/policy", body, content_type="application/json").status_code == 403
    updated = owner.api().put("/api/v1/moderation/policy", body, content_type="application/json").json()
    assert updated["rules"]["harassment"]["action"] == "hide"
    bad = owner.api().put("/api/v1/moderation/policy", {"rules": {"spam": {"threshold": 5, "action": "hide"}}},
                          content_type="application/json")
    assert bad.status_code == 400 and "1, 2 or 3" in bad.json()["error"]
    verdict = services.moderate_generated(owner.workspace, "copy_variant", "7", "Your support staff are idiots.")
    assert verdict.status == "hidden" and verdict.action == "hide"


def test_workspaces_are_isolated(team, make_member):
    other = make_member("owner", "Globex")
    case = case_for(team["owner"].workspace, "absolute idiots")
    api = other.api()
    assert api.get("/api/v1/moderation/cases?status=all").json()["count"] == 0
    assert api.get(f"/api/v1/moderation/cases/{case.pk}").status_code == 404
    assert decision(other, case.pk, action="approve").status_code == 404
    assert api.post(f"/api/v1/moderation/cases/{case.pk}/notes", {"body": "x"},
                    content_type="application/json").status_code == 404
    assert other.browser().get(f"/moderation/cases/{case.pk}/").status_code == 404
    assert b"absolute idiots" not in other.browser().get("/moderation/?status=all").content
    bulk = api.post("/api/v1/moderation/bulk", {"action": "approve", "case_ids": [case.pk]},
                    content_type="application/json")
    assert bulk.status_code == 202 and bulk.json()["total"] == 0  # nothing of another workspace is counted
    case.refresh_from_db()
    assert case.status == "pending"


def test_pages_highlight_the_span_and_escape_the_text(team):
    owner = team["owner"]
    verdict = services.moderate_generated(owner.workspace, "reply_draft", "r1",
                                          '<script>alert("x")</script> Your support team are idiots & clowns')
    browser = team["moderator"].browser()
    page = browser.get(f"/moderation/cases/{verdict.case_id}/").content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<mark class="flagged">idiots</mark>' in page
    assert verdict.rationale.split(":")[0] in page.replace("&#x27;", "'")
    assert 'src="/static/js/moderation.js"' in page and 'data-key="a"' in page
    queue = browser.get("/moderation/?status=all").content.decode()
    assert '<mark class="flagged">' in queue and '<script>alert("x")' not in queue


def test_deciding_from_the_page_goes_to_the_next_case(team):
    moderator = team["moderator"]
    ws = moderator.workspace
    first = ModerationCase.objects.filter(workspace=ws, status="pending").order_by("-severity", "created_at",
                                                                                   "id").first()
    response = moderator.browser().post(f"/moderation/cases/{first.pk}/decide/",
                                        {"action": "approve", "note": "fine", "query": "status=pending"})
    assert response.status_code == 302
    nxt = ModerationCase.objects.filter(workspace=ws, status="pending").order_by("-severity", "created_at",
                                                                                 "id").first()
    assert response["Location"] == f"/moderation/cases/{nxt.pk}/?status=pending"
    first.refresh_from_db()
    assert first.status == "approved" and first.audit_entries.get().note == "fine"
