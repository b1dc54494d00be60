"""Reply drafts and translations in-process with a scripted double of the model server: grounding, the policy
check and regeneration, language, moderation before approval, edits, bulk jobs with progress, the translation
cache, the API, roles, workspace isolation and the CSV export. test_replies_real_llm.py runs against vLLM."""

from __future__ import annotations

import csv
import io
import re

import pytest

from apps.corpus.models import CustomerText
from apps.dashboard.management.commands.load_demo import DEMO_KNOWLEDGE, DEMO_REPLY_POLICY
from apps.insights.models import TextAnalysis
from apps.jobs.models import Job
from apps.moderation import services as moderation
from apps.moderation.models import ModerationCase
from apps.replies import services
from apps.replies.models import KnowledgeSnippet, ReplyDraft
from tests.conftest import import_now
from tests.factories import BATTERY, ZH_TEXTS, corpus_csv_with_chinese
from tests.fakes import REPLY_CLEAN_EN as CLEAN_EN
from tests.fakes import REPLY_CLEAN_ZH as CLEAN_ZH
from tests.fakes import RepliesScript, data_block

VIOLATING = "Sorry! As compensation here is a $15 voucher for order 987654, and the fix ships tomorrow."
RUDE = "You are absolute idiots for buying this lamp."


@pytest.fixture
def model(fake_llm) -> RepliesScript:
    return fake_llm.use(RepliesScript())


@pytest.fixture
def texts(owner) -> dict[str, CustomerText]:
    """The analysis corpus plus two Chinese texts, and the demo's reply policy and knowledge."""
    import_now(owner, "r.csv", corpus_csv_with_chinese())
    services.seed_reply_policy(owner.workspace, DEMO_REPLY_POLICY, DEMO_KNOWLEDGE)
    return {t.text: t for t in CustomerText.objects.filter(workspace=owner.workspace)}


def draft(member, text_ids: list[int], variants: int = 1) -> Job:
    job = services.start_drafts(member.ctx, services.Selection(text_ids=text_ids), variants)
    services.run_drafts(str(job.pk))
    job.refresh_from_db()
    return job


def only_draft(member, text: CustomerText) -> ReplyDraft:
    job = draft(member, [text.pk])
    assert job.status == "succeeded", job.error
    return ReplyDraft.objects.get(job=job)


def test_drafts_are_grounded_in_what_the_model_was_shown(owner, texts, model):
    battery, other = texts[BATTERY[0]], texts[BATTERY[1]]
    earlier = ReplyDraft.objects.create(workspace=owner.workspace, text=other, body="We hear you: 2.3.1 is coming.",
                                        language="en", status="approved", moderation_status="approved")
    reply = only_draft(owner, battery)
    prompt = model.prompts[0]
    shown = set(re.findall(r'"ref": "([a-z]+:\d+)"', prompt))
    assert f"reply:{earlier.pk}" in shown  # an approved reply to a similar text is offered as an example
    battery_snippet = KnowledgeSnippet.objects.get(workspace=owner.workspace, title__startswith="Battery")
    assert f"snippet:{battery_snippet.pk}" in shown and "2.3.1 fixes it" in prompt
    similar = [int(r.split(":")[1]) for r in shown if r.startswith("text:")]
    assert similar and battery.pk not in similar
    assert "battery" in " ".join(CustomerText.objects.filter(pk__in=similar).values_list("text", flat=True)).lower()
    # the customer text comes last, after every instruction and all material
    assert prompt.rstrip().endswith("</data>") and prompt.rindex(battery.text) > prompt.rindex("reply_policy")
    assert "Refunds are possible within 30 days" in prompt and "The Lumo team" in prompt
    # only refs that were shown are stored; the bogus one is dropped
    cited = reply.sources
    assert 999999 not in cited["texts"] and set(cited["texts"]) <= set(similar)
    assert cited["snippets"] and set(cited["snippets"]) <= set(KnowledgeSnippet.objects.values_list("pk", flat=True))
    assert reply.body.startswith(CLEAN_EN) and reply.body.endswith("— The Lumo team")  # the sign-off is added
    assert reply.policy_flags == [] and reply.language == "en" and reply.attempts == 1
    assert (reply.prompt, reply.prompt_version, reply.model) == ("replies/reply", 2, "fake-m")
    assert reply.points == ["battery drains fast"]


def test_grounding_leaves_out_texts_moderation_has_not_cleared(owner, texts, model):
    hidden = texts[BATTERY[1]]
    CustomerText.objects.filter(pk=hidden.pk).update(moderation_status="hidden")
    only_draft(owner, texts[BATTERY[0]])
    assert f'"ref": "text:{hidden.pk}"' not in model.prompts[0]


def test_a_draft_inventing_facts_is_regenerated(owner, texts, fake_llm):
    fake = fake_llm.use(RepliesScript(replies=[VIOLATING, CLEAN_EN]))
    reply = only_draft(owner, texts[BATTERY[0]])
    assert fake.reply_calls == 2 and reply.attempts == 2 and reply.policy_flags == []
    problems = data_block(fake.prompts[1], "previous_problems")
    assert "987654" in problems and "voucher" in problems and "tomorrow" in problems  # the model is told why
    assert data_block(fake.prompts[0], "previous_problems") == "[]"


def test_a_draft_that_keeps_violating_the_policy_is_kept_flagged_and_cannot_be_approved(owner, texts, fake_llm):
    fake = fake_llm.use(RepliesScript(replies=[VIOLATING]))
    job = draft(owner, [texts[BATTERY[0]].pk])
    reply = ReplyDraft.objects.get(job=job)
    assert fake.reply_calls == services.DRAFT_ATTEMPTS and reply.attempts == services.DRAFT_ATTEMPTS
    assert {(f["kind"], f["text"]) for f in reply.policy_flags} == {
        ("compensation", "compensation"), ("price", "$15"), ("compensation", "voucher"),
        ("order_number", "987654"), ("deadline", "tomorrow")}
    assert job.status == "succeeded" and job.result["flagged"] == 1
    assert any("policy flags" in note for note in job.result["notes"])
    assert reply.moderation_status == "approved"
    with pytest.raises(services.ReplyConflict, match="policy does not cover"):
        services.approve_draft(owner.ctx, reply.pk)
    fixed = services.edit_draft(owner.ctx, reply.pk, "Sorry about the battery. Firmware 2.3.1 fixes it.")
    assert fixed.policy_flags == [] and services.approve_draft(owner.ctx, reply.pk).status == "approved"


def test_the_reply_follows_the_customers_language(owner, texts, model):
    chinese = texts[ZH_TEXTS[0]]
    assert chinese.language == "zh"
    reply = only_draft(owner, chinese)
    assert '"Simplified Chinese"' in data_block(model.prompts[0], "reply_language")
    assert "customer-service agent in mainland China" in model.prompts[0]
    assert reply.language == "zh" and reply.body == CLEAN_ZH and reply.policy_flags == []


def test_a_reply_in_the_wrong_language_is_asked_again_once_then_fails(owner, texts, fake_llm):
    fake = fake_llm.use(RepliesScript(zh_replies=False))
    job = draft(owner, [texts[ZH_TEXTS[0]].pk])
    assert fake.reply_calls == services.LANGUAGE_ATTEMPTS == 2
    assert not ReplyDraft.objects.filter(job=job).exists()  # never kept in the wrong language
    assert job.status == "failed" and "The model wrote English instead of Chinese" in job.error
    assert "language:" in data_block(fake.prompts[1], "previous_problems")  # the re-ask says why


def test_a_person_may_knowingly_answer_in_another_language(owner, texts, model):
    reply = only_draft(owner, texts[ZH_TEXTS[0]])
    edited = services.edit_draft(owner.ctx, reply.pk, "Sorry about the battery, we are looking into it for you.")
    assert [f["kind"] for f in edited.policy_flags] == ["language"]
    assert services.approve_draft(owner.ctx, reply.pk).status == "approved"  # the language flag does not block


def test_approval_waits_for_moderation(owner, texts, fake_llm, make_member, django_capture_on_commit_callbacks):
    fake_llm.use(RepliesScript(replies=[RUDE]))
    reply = only_draft(owner, texts[BATTERY[0]])
    case = ModerationCase.objects.get(workspace=owner.workspace, subject_type="reply_draft", subject_id=str(reply.pk))
    assert reply.moderation_case_id == case.pk and case.text == reply.body
    assert reply.moderation_status in ("pending", "hidden") and "Harassment" in reply.moderation_reason
    with pytest.raises(services.ReplyConflict, match="[Mm]oderation"):
        services.approve_draft(owner.ctx, reply.pk)
    moderator = make_member("moderator")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.decide(moderator.ctx, case.pk, "approve", note="Quoting the customer; fine.")
    reply.refresh_from_db()
    assert reply.moderation_status == "approved" and reply.moderation_reason == ""
    approved = services.approve_draft(owner.ctx, reply.pk)
    assert approved.status == "approved" and approved.approved_by == owner.user and approved.approved_at
    # a later rejection by a moderator withdraws the approval and says why
    with django_capture_on_commit_callbacks(execute=True):
        moderation.decide(moderator.ctx, case.pk, "reject", note="Never call customers names.")
    reply.refresh_from_db()
    assert reply.status == "draft" and reply.moderation_status == "rejected"
    assert "Never call customers names." in reply.moderation_reason


def test_a_moderators_edit_becomes_the_reply(owner, texts, model, make_member, django_capture_on_commit_callbacks):
    reply = only_draft(owner, texts[BATTERY[0]])
    moderator = make_member("moderator")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.decide(moderator.ctx, reply.moderation_case_id, "edit", text="Thanks, a fix is on its way.")
    reply.refresh_from_db()
    assert reply.body == "Thanks, a fix is on its way." and reply.edited and reply.moderation_status == "approved"
    assert reply.history[-1]["why"] == "moderator edit"


def test_an_edit_is_checked_and_moderated_again(owner, texts, model):
    reply = only_draft(owner, texts[BATTERY[0]])
    services.approve_draft(owner.ctx, reply.pk)
    edited = services.edit_draft(owner.ctx, reply.pk, RUDE)
    assert edited.edited and edited.status == "draft" and edited.approved_by is None
    assert edited.moderation_status != "approved" and edited.history[-1]["body"] == reply.body
    case = ModerationCase.objects.get(pk=edited.moderation_case_id)
    assert case.text == RUDE  # the new text was judged, not the old one
    back = services.edit_draft(owner.ctx, reply.pk, "Sorry! Write to us within 30 days for a refund.")
    assert back.moderation_status == "approved" and back.policy_flags == []
    again = services.edit_draft(owner.ctx, reply.pk, "Here is a 20% discount.")
    assert {f["kind"] for f in again.policy_flags} == {"percentage", "compensation"}
    with pytest.raises(services.ReplyError, match="empty"):
        services.edit_draft(owner.ctx, reply.pk, "   ")


def test_bulk_drafts_for_a_filter_are_one_job_with_progress(owner, texts, model, monkeypatch):
    battery_ids = {texts[t].pk for t in BATTERY}
    for t in texts.values():  # texts may already be classified on import: set what this test needs
        TextAnalysis.objects.update_or_create(text=t, defaults={
            "workspace": owner.workspace, "intent": "complaint", "sentiment_score": -0.8, "sentiment_method": "rating",
            "sentiment": "negative" if t.pk in battery_ids else "positive"})
    api = owner.api()
    response = api.post("/api/v1/replies", {"filters": {"sentiment": "negative", "date_from": "2026-10-01",
                                                        "date_to": "2026-10-28"}, "variants": 2},
                        content_type="application/json")
    assert response.status_code == 202, response.content
    accepted = response.json()
    assert set(accepted) == {"job_id", "texts"} and accepted["texts"] == len(BATTERY)
    job = Job.objects.get(pk=accepted["job_id"])
    assert job.kind == "reply_drafts" and job.status == "queued" and set(job.params["text_ids"]) == battery_ids
    progress: list[int] = []
    real_set_progress = services.drafting.jobs.set_progress
    monkeypatch.setattr(services.drafting, "CHUNK_TEXTS", 2)
    monkeypatch.setattr(services.drafting.jobs, "set_progress",
                        lambda job_id, done, **kw: (progress.append(done), real_set_progress(job_id, done, **kw)))
    services.run_drafts(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded" and job.done == job.total == len(BATTERY) and progress == [2, 4, 6]
    assert job.result["drafts"] == 2 * len(BATTERY) and model.reply_calls == 2 * len(BATTERY)
    drafts = ReplyDraft.objects.filter(job=job)
    assert {d.text_id for d in drafts} == battery_ids and {d.variant for d in drafts} == {1, 2}
    assert len({(d.text_id, d.seed) for d in drafts}) == 2 * len(BATTERY)  # every variant has its own seed
    services.run_drafts(str(job.pk))  # a re-delivered task changes nothing
    assert ReplyDraft.objects.filter(job=job).count() == 2 * len(BATTERY)
    # filters that match nothing, or an unknown sentiment, are explained
    empty = api.post("/api/v1/replies", {"filters": {"source": "nowhere"}}, content_type="application/json")
    assert empty.status_code == 400 and "No texts match" in empty.json()["error"]
    assert api.post("/api/v1/replies", {}, content_type="application/json").status_code == 400
    too_many = api.post("/api/v1/replies", {"text_ids": [texts[BATTERY[0]].pk], "variants": 9},
                        content_type="application/json")
    assert too_many.status_code == 400 and "1 to 3" in too_many.json()["error"]


def test_sentiment_without_an_analysis_says_how_to_get_one(owner, texts, model):
    TextAnalysis.objects.filter(workspace=owner.workspace).delete()  # not classified yet
    response = owner.api().post("/api/v1/replies", {"filters": {"sentiment": "negative"}},
                                content_type="application/json")
    assert response.status_code == 400 and "run one, or filter by rating" in response.json()["error"]


def test_api_shapes(owner, texts, model):
    api = owner.api()
    text = texts[BATTERY[0]]
    accepted = api.post("/api/v1/replies", {"text_ids": [text.pk]}, content_type="application/json").json()
    assert api.get(f"/api/v1/jobs/{accepted['job_id']}").json()["status"] == "queued"
    services.run_drafts(accepted["job_id"])
    listing = api.get(f"/api/v1/replies?text_id={text.pk}").json()
    assert listing["count"] == 1
    item = listing["results"][0]
    assert {"id", "text_id", "text", "language", "moderation", "sources", "policy_flags", "points", "status",
            "customer_text", "approved", "model", "prompt", "job_id"} <= set(item)
    assert item["text"].startswith(CLEAN_EN) and item["language"] == "en" and item["text_id"] == text.pk
    assert item["moderation"]["status"] == "approved" and item["moderation"]["case_id"]
    assert set(item["sources"]) == {"texts", "snippets", "replies"}
    assert all({"id", "text"} <= set(s) for s in item["sources"]["texts"] + item["sources"]["snippets"])
    assert item["customer_text"] == {**item["customer_text"], "id": text.pk, "text": text.text, "language": "en"}
    assert item["prompt"] == {"name": "replies/reply", "version": 2} and item["job_id"] == accepted["job_id"]
    base = f"/api/v1/replies/{item['id']}"
    assert api.get(base).json()["id"] == item["id"]
    patched = api.patch(base, {"text": "Thanks! Firmware 2.3.1 fixes it."}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["edited"] and patched.json()["versions"] == 2
    approved = api.post(f"{base}/approve")
    assert approved.status_code == 200 and approved.json()["approved"] and approved.json()["approved_by"]
    assert api.get("/api/v1/replies?status=approved").json()["count"] == 1
    assert api.post(f"{base}/reject").json()["status"] == "rejected"
    assert api.get("/api/v1/replies/999999").status_code == 404
    assert api.get("/api/v1/replies?status=nope").status_code == 400
    # the policy and knowledge
    policy = api.put("/api/v1/reply-policy", {"sign_off": "Cheers, Lumo", "allowed_promises": ["Free shipping"]},
                     content_type="application/json").json()
    assert policy["sign_off"] == "Cheers, Lumo" and policy["allowed_promises"] == ["Free shipping"]
    assert policy["policy"].startswith("Refunds are possible")
    api.put("/api/v1/reply-policy", {"allowed_promises": ["Free shipping", "30-day returns"]},
            content_type="application/json")
    page = owner.browser().get("/replies/policy/").content.decode()
    assert '<textarea name="allowed_promises" rows="4">Free shipping\n30-day returns</textarea>' in page
    assert "{{" not in page and "{%" not in page  # the tag once spanned two lines and rendered as text
    created = api.post("/api/v1/knowledge", {"title": "Warranty", "text": "Two years."},
                       content_type="application/json")
    assert created.status_code == 201
    snippet_id = created.json()["id"]
    assert api.put(f"/api/v1/knowledge/{snippet_id}", {"text": "Two years on the lamp."},
                   content_type="application/json").json()["text"] == "Two years on the lamp."
    assert len(api.get("/api/v1/knowledge").json()["results"]) == len(DEMO_KNOWLEDGE) + 1
    assert api.delete(f"/api/v1/knowledge/{snippet_id}").status_code == 204
    assert api.post("/api/v1/knowledge", {"title": "", "text": "x"}, content_type="application/json").status_code == 400
    assert api.get("/api/v1/me/language").json() == {"language": "en", "choices": api.get(
        "/api/v1/me/language").json()["choices"]}


def test_roles(make_member, owner, texts, model):
    reply = only_draft(owner, texts[BATTERY[0]])
    text_id = texts[ZH_TEXTS[0]].pk
    for role in ("viewer", "moderator"):
        api = make_member(role).api()
        assert api.post("/api/v1/replies", {"text_ids": [text_id]}, content_type="application/json").status_code == 403
        base = f"/api/v1/replies/{reply.pk}"
        assert api.patch(base, {"text": "x"}, content_type="application/json").status_code == 403
        assert api.post(f"{base}/approve").status_code == 403
        assert api.post(f"{base}/reject").status_code == 403
        assert api.post("/api/v1/translations", {"text_ids": [text_id], "lang": "en"},
                        content_type="application/json").status_code == 403
        assert api.put("/api/v1/reply-policy", {"tone": "x"}, content_type="application/json").status_code == 403
        assert api.post("/api/v1/knowledge", {"title": "t", "text": "x"},
                        content_type="application/json").status_code == 403
        assert api.get(f"/api/v1/replies?text_id={reply.text_id}").json()["count"] == 1  # reading is fine
        assert api.get(f"/api/v1/texts/{text_id}/translation?lang=en").status_code == 200  # and reading translated
        assert api.put("/api/v1/me/language", {"language": "zh"}, content_type="application/json").status_code == 200
    analyst = make_member("analyst").api()
    assert analyst.post("/api/v1/replies", {"text_ids": [text_id]}, content_type="application/json").status_code == 202
    assert analyst.post(f"/api/v1/replies/{reply.pk}/approve").status_code == 200
    assert analyst.put("/api/v1/reply-policy", {"tone": "x"}, content_type="application/json").status_code == 403


def test_workspace_isolation(make_member, owner, texts, model):
    reply = only_draft(owner, texts[BATTERY[0]])
    services.approve_draft(owner.ctx, reply.pk)
    other = make_member("owner", "Other")
    api = other.api()
    assert api.get("/api/v1/replies").json() == {"count": 0, "results": []}
    base = f"/api/v1/replies/{reply.pk}"
    assert api.get(base).status_code == 404
    assert api.patch(base, {"text": "x"}, content_type="application/json").status_code == 404
    assert api.post(f"{base}/approve").status_code == 404
    assert api.post(f"{base}/reject").status_code == 404
    refused = api.post("/api/v1/replies", {"text_ids": [reply.text_id]}, content_type="application/json")
    assert refused.status_code == 404 and "No such text" in refused.json()["error"]
    assert api.get(f"/api/v1/texts/{reply.text_id}/translation?lang=zh").status_code == 404
    assert api.post("/api/v1/translations", {"text_ids": [reply.text_id], "lang": "zh"},
                    content_type="application/json").status_code == 404
    assert api.get("/api/v1/knowledge").json()["results"] == []
    snippet = KnowledgeSnippet.objects.filter(workspace=owner.workspace).first()
    assert api.delete(f"/api/v1/knowledge/{snippet.pk}").status_code == 404
    assert "We hear" not in api.get("/api/v1/replies/export.csv").content.decode("utf-8-sig")
    assert len(api.get("/api/v1/replies/export.csv").content.decode("utf-8-sig").strip().splitlines()) == 1
    browser = other.browser()
    assert browser.get(f"/replies/text/{reply.text_id}/").status_code == 404
    # and drafting in the other workspace never reaches into this one's texts, replies or knowledge
    import_now(other, "o.csv", b"text\nThe other lamp battery dies fast\nAnother battery review here\n")
    theirs = only_draft(other, CustomerText.objects.filter(workspace=other.workspace).first())
    mine = {f"text:{t.pk}" for t in texts.values()} | {f"reply:{reply.pk}"} | {
        f"snippet:{s}" for s in KnowledgeSnippet.objects.filter(workspace=owner.workspace).values_list("pk", flat=True)}
    assert not mine & set(re.findall(r'"ref": "([a-z]+:\d+)"', model.prompts[-1]))
    assert not set(theirs.sources["texts"]) & {t.pk for t in texts.values()}


def test_csv_export_of_approved_replies_neutralises_formulas(owner, texts, fake_llm):
    fake_llm.use(RepliesScript(replies=["=HYPERLINK(\"bad\") Thanks for writing to us."]))
    formula = only_draft(owner, texts[BATTERY[0]])
    fake_llm.use(RepliesScript())
    clean = only_draft(owner, texts[BATTERY[1]])
    services.approve_draft(owner.ctx, clean.pk)
    api = owner.api()
    approved = api.get("/api/v1/replies/export.csv")
    assert approved["Content-Type"].startswith("text/csv") and "attachment" in approved["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(approved.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["reply_id", "text_id", "source", "posted_at"] and len(rows) == 2
    assert rows[1][0] == str(clean.pk) and rows[1][6] == texts[BATTERY[1]].text and rows[1][8] == clean.body
    every = list(csv.reader(io.StringIO(api.get("/api/v1/replies/export.csv?status=all").content.decode("utf-8-sig"))))
    bodies = {row[0]: row[8] for row in every[1:]}
    assert bodies[str(formula.pk)].startswith("'=HYPERLINK")
    assert api.get("/api/v1/replies/export.csv?status=nope").status_code == 400


def test_pages_render_and_escape(owner, texts, fake_llm, make_member):
    fake_llm.use(RepliesScript(replies=["<script>alert('x')</script> Sorry for the trouble."]))
    text = texts[BATTERY[0]]
    CustomerText.objects.filter(pk=text.pk).update(text="<img src=x onerror=alert(1)> battery")
    text.refresh_from_db()
    reply = only_draft(owner, text)
    for role in ("owner", "analyst", "moderator", "viewer"):
        browser = make_member(role).browser()
        drafts = role in ("owner", "analyst")
        for url in ("/replies/", "/replies/?sentiment=negative&rating=1&date_from=2026-10-01",
                    "/replies/?status=approved"):
            response = browser.get(url)
            assert response.status_code == (200 if drafts else 403), (role, url)
            if not drafts:  # the tidy 403 page, with the workspace still named in the header
                assert f'<span class="ws">{text.workspace.name}</span>' in response.content.decode(), role
        for url in (f"/replies/text/{text.pk}/", "/replies/policy/", f"/texts/{text.pk}/"):
            assert browser.get(url).status_code == 200, (role, url)
        home = browser.get("/").content.decode()
        assert ('href="/replies/"' in home) == (role in ("owner", "analyst"))
    other = texts[BATTERY[1]]
    CustomerText.objects.filter(pk=other.pk).update(moderation_status="pending")
    picker = owner.browser().get("/replies/").content.decode().split('class="pick-list"')[1].split("</ul>")[0]
    assert picker.count("pending review") == 1  # the text picker marks what moderation has not cleared yet
    body = owner.browser().get("/replies/").content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body and "<img src=x" not in body
    assert "js/replies.js" in body and f'data-draft-id="{reply.pk}"' in body and 'data-action="approve"' in body
    viewer_page = make_member("viewer").browser().get(f"/replies/text/{text.pk}/").content.decode()
    assert 'data-action="approve"' not in viewer_page and 'data-action="draft-one"' not in viewer_page
    detail = owner.browser().get(f"/texts/{text.pk}/").content.decode()
    assert 'class="card translation"' in detail and "js/replies.js" in detail and f"/replies/text/{text.pk}/" in detail
    assert "<script>" not in detail.split("</head>")[1]  # no inline scripts (CSP)
    bad_dates = owner.browser().get("/replies/?date_from=tomorrow", follow=True)
    assert bad_dates.status_code == 200 and "YYYY-MM-DD" in bad_dates.content.decode()


def test_erased_texts_leave_the_sources_of_other_drafts(owner, texts, model):
    reply = only_draft(owner, texts[BATTERY[0]])
    cited = reply.sources["texts"]
    assert cited
    assert services.forget_texts(owner.workspace, cited[:1]) == 1
    reply.refresh_from_db()
    assert cited[0] not in reply.sources["texts"]
