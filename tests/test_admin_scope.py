"""The Django admin is scoped to workspaces (issue #15): a staff moderator of workspace A, with every model
permission, sees none of workspace B's cases, texts, audit entries, policies, drafts, snippets, translations,
memberships or tokens, in lists or on pages, cannot attach a row to B, and cannot approve a draft here.
Everything runs against the real admin pages and the real database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from apps.corpus.models import CustomerText
from apps.moderation import services as moderation
from apps.moderation.models import AuditEntry, ModerationPolicy
from apps.replies.models import KnowledgeSnippet, ReplyDraft, ReplyPolicy
from apps.translation.models import TextTranslation
from tests.moderation.helpers import case_for, import_and_screen, without_judge

A_CSV = (b"text,rating,source\n"
         b'"Your support people are absolute idiots. Useless clowns. Alpha lamp.",1,survey\n'
         b'"The alpha lamp glows warmly and the battery lasts a week.",5,app_store\n')
B_CSV = (b"text,rating,source\n"
         b'"Your support people are absolute idiots. Useless clowns. Zanzibarquux kettle.",1,survey\n'
         b'"The Zanzibarquux kettle boils fast and the lid closes well.",5,app_store\n')
B_MARK = b"Zanzibarquux"
APPS = ("moderation", "replies", "translation", "accounts", "privacy")


def _staff(member, *, superuser: bool = False):
    user = member.user
    user.is_staff, user.is_superuser = True, superuser
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=APPS))
    return member.browser()


def _rows(workspace, owner, marker: str):
    """A workspace's case, audit entry, policies, draft, snippet and translation (made directly: no model)."""
    without_judge(workspace)
    case = case_for(workspace, "absolute idiots")
    moderation.decide(owner.ctx, case.pk, "reject", note=f"{marker} note")
    text = CustomerText.objects.filter(workspace=workspace, text__contains="battery" if marker == "Alpha"
                                       else "boils").get()
    return {
        "case": case,
        "entry": AuditEntry.objects.get(case=case),
        "policy": ModerationPolicy.objects.get(workspace=workspace),
        "reply_policy": ReplyPolicy.objects.create(workspace=workspace, policy=f"{marker} refunds in 30 days"),
        "draft": ReplyDraft.objects.create(workspace=workspace, text=text, body=f"{marker} thanks for writing"),
        "snippet": KnowledgeSnippet.objects.create(workspace=workspace, title=f"{marker} FAQ", body=f"{marker} body"),
        "translation": TextTranslation.objects.create(workspace=workspace, text=text, target_language="de",
                                                      translated_text=f"{marker} übersetzt", source_hash="x"),
    }


URLS = {"case": "moderation/moderationcase", "entry": "moderation/auditentry", "policy": "moderation/moderationpolicy",
        "reply_policy": "replies/replypolicy", "draft": "replies/replydraft", "snippet": "replies/knowledgesnippet",
        "translation": "translation/texttranslation"}


@pytest.fixture
def two_workspaces(make_member):
    a_owner, b_owner = make_member("owner", "Alpha"), make_member("owner", "Bravo")
    for member, data in ((a_owner, A_CSV), (b_owner, B_CSV)):
        without_judge(member.workspace)
        import_and_screen(member, f"{member.workspace.name}.csv", data)
    return (a_owner, b_owner, _rows(a_owner.workspace, a_owner, "Alpha"),
            _rows(b_owner.workspace, b_owner, "Zanzibarquux"))


def test_a_staff_moderator_sees_only_their_workspace(two_workspaces, make_member):
    a_owner, b_owner, a, b = two_workspaces
    browser = _staff(make_member("moderator", "Alpha"))
    missing = browser.get("/admin/replies/replydraft/999999999/change/")
    assert missing.status_code == 302  # Django's answer for a row that does not exist
    for name, url in URLS.items():
        listing = browser.get(f"/admin/{url}/")
        assert listing.status_code == 200, name
        assert f"/admin/{url}/{a[name].pk}/change/".encode() in listing.content, name
        assert f"/admin/{url}/{b[name].pk}/change/".encode() not in listing.content, name
        assert B_MARK not in listing.content and b"Bravo" not in listing.content, name
        assert browser.get(f"/admin/{url}/{a[name].pk}/change/").status_code == 200, name
        for page in ("change", "history", "delete"):
            response = browser.get(f"/admin/{url}/{b[name].pk}/{page}/")
            assert response.status_code in (302, 403, 404), (name, page)
            assert B_MARK not in response.content, (name, page)
            if response.status_code == 302:
                assert response["Location"] == missing["Location"], (name, page)
        # Searching or filtering by B's workspace finds nothing either.
        filtered = browser.get(f"/admin/{url}/", {"workspace__id__exact": b_owner.workspace.pk})
        assert B_MARK not in filtered.content, name
    # The case's text (B's customer text) shows nowhere; deciding B's case from here is a 404.
    found = browser.get("/admin/moderation/moderationcase/", {"q": "Zanzibarquux"}).content
    assert b"0 results" in found and f"/{b['case'].pk}/change/".encode() not in found
    assert browser.post(f"/admin/moderation/moderationcase/{b['case'].pk}/decide/",
                        {"action": "approve"}).status_code == 404
    # A bulk action cannot reach B's case.
    browser.post("/admin/moderation/moderationcase/", {"action": "approve_selected",
                                                       "_selected_action": [b["case"].pk]})
    b["case"].refresh_from_db()
    assert b["case"].status == "rejected"
    # Accounts: B's workspace, memberships and tokens are absent as well.
    for url, obj in (("accounts/workspace", b_owner.workspace),
                     ("accounts/membership", b_owner.user.memberships.get()),
                     ("accounts/apitoken", b_owner.user.memberships.get().tokens.get())):
        assert f"/admin/{url}/{obj.pk}/change/".encode() not in browser.get(f"/admin/{url}/").content, url
        assert browser.get(f"/admin/{url}/{obj.pk}/change/").status_code == 302, url


def test_a_moderator_cannot_change_what_only_owners_change(two_workspaces, make_member):
    a_owner, _, a, _ = two_workspaces
    moderator = make_member("moderator", "Alpha")
    browser = _staff(moderator)
    page = browser.get(f"/admin/moderation/moderationpolicy/{a['policy'].pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content  # view only
    assert browser.post(f"/admin/moderation/moderationpolicy/{a['policy'].pk}/change/",
                        {"use_llm_judge": "on"}).status_code == 403
    assert browser.get("/admin/replies/knowledgesnippet/add/").status_code == 403
    # Nor can they raise their own role.
    membership = moderator.user.memberships.get()
    assert browser.post(f"/admin/accounts/membership/{membership.pk}/change/",
                        {"user": moderator.user.pk, "workspace": a_owner.workspace.pk, "role": "owner"}
                        ).status_code == 403
    membership.refresh_from_db()
    assert membership.role == "moderator"


def test_an_owner_cannot_attach_a_row_to_another_workspace(two_workspaces):
    a_owner, b_owner, a, b = two_workspaces
    browser = _staff(a_owner)
    form = browser.get("/admin/replies/knowledgesnippet/add/")
    assert form.status_code == 200
    assert f'<option value="{a_owner.workspace.pk}"'.encode() in form.content
    assert f'<option value="{b_owner.workspace.pk}"'.encode() not in form.content
    assert b_owner.user.username.encode() not in form.content  # no people of other workspaces either
    response = browser.post("/admin/replies/knowledgesnippet/add/",
                            {"workspace": b_owner.workspace.pk, "title": "Planted", "body": "Planted body"})
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert not KnowledgeSnippet.objects.filter(title="Planted").exists()
    # Moving A's own snippet to B is refused the same way.
    response = browser.post(f"/admin/replies/knowledgesnippet/{a['snippet'].pk}/change/",
                            {"workspace": b_owner.workspace.pk, "title": "Moved", "body": "Moved"})
    assert b"Select a valid choice" in response.content
    a["snippet"].refresh_from_db()
    assert a["snippet"].workspace == a_owner.workspace
    # In its own workspace the owner edits it.
    response = browser.post(f"/admin/replies/knowledgesnippet/{a['snippet'].pk}/change/",
                            {"workspace": a_owner.workspace.pk, "title": "Alpha FAQ 2", "body": "Alpha body"})
    assert response.status_code == 302
    a["snippet"].refresh_from_db()
    assert (a["snippet"].title, a["snippet"].updated_by) == ("Alpha FAQ 2", a_owner.user)


def test_a_draft_is_read_only_in_the_admin(two_workspaces):
    a_owner, _, a, _ = two_workspaces
    for superuser in (False, True):
        browser = _staff(a_owner, superuser=superuser)
        page = browser.get(f"/admin/replies/replydraft/{a['draft'].pk}/change/")
        assert page.status_code == 200 and b'name="_save"' not in page.content and b'name="status"' not in page.content
        response = browser.post(f"/admin/replies/replydraft/{a['draft'].pk}/change/",
                                {"status": "approved", "moderation_status": "approved", "body": "Approved!"})
        assert response.status_code == 403
        assert browser.get("/admin/replies/replydraft/add/").status_code == 403
        a["draft"].refresh_from_db()
        assert (a["draft"].status, a["draft"].moderation_status) == ("draft", "unchecked")


def test_a_superuser_still_sees_every_workspace(two_workspaces, make_member):
    _, _, a, b = two_workspaces
    browser = _staff(make_member("viewer", "Elsewhere"), superuser=True)
    for name, url in URLS.items():
        listing = browser.get(f"/admin/{url}/")
        for rows in (a, b):
            assert f"/admin/{url}/{rows[name].pk}/change/".encode() in listing.content, name
