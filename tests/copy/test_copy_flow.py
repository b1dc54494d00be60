"""The copy studio in-process with a scripted double of the model server: grounding, banned words, claims,
moderation before approval, edits, regeneration, ideas, the API, roles and workspace isolation.
test_copy_real_llm.py runs a generation against the real vLLM server through a worker."""

from __future__ import annotations

import pytest

from apps.copy import services
from apps.copy.models import CopyRequest, CopyVariant, IdeaSet
from apps.corpus.models import CustomerText
from apps.insights.models import AnalysisRun, Insight
from apps.jobs import services as jobs
from apps.moderation import services as moderation
from apps.moderation.models import ModerationCase
from tests.conftest import import_now
from tests.factories import BRIEF, corpus_csv
from tests.fakes import COPY_CLEAN as CLEAN
from tests.fakes import CopyScript

SPAM = {"headline": "Order now!!!", "body": "Use promo code SAVE at www.lamp-deals.xyz for 20% off, limited time.",
        "call_to_action": "Click here"}
ZH = {"headline": "夜读，有温度的光", "body": "暖光柔和，不刺眼，陪你读完每一页。", "call_to_action": "立即预订"}


@pytest.fixture
def model(fake_llm):
    return fake_llm.use(CopyScript())


@pytest.fixture
def texts(owner):
    import_now(owner, "r.csv", corpus_csv())
    return set(CustomerText.objects.filter(workspace=owner.workspace).values_list("pk", flat=True))


def generate(member, **brief) -> CopyRequest:
    request = services.start_copy(member.ctx, {**BRIEF, **brief})
    services.run_copy(request.pk)
    request.refresh_from_db()
    return request


def test_variants_are_grounded_in_retrieved_quotes(owner, texts, model):
    request = generate(owner)
    assert request.status == "succeeded" and request.job.status == "succeeded"
    variants = list(request.variants.all())
    assert [v.position for v in variants] == [1, 2, 3] and model.copy_calls == 3
    quote_ids = [q["id"] for q in request.grounding["quotes"]]
    assert quote_ids and set(quote_ids) <= texts
    assert all(ids == model.shown[0] for ids in model.shown)  # one grounding for every variant
    for v in variants:
        assert v.sources and set(v.sources) <= set(quote_ids) and 999999 not in v.sources
        assert v.text.startswith("Warm light") and v.language == "en"
        assert (v.prompt, v.prompt_version, v.model) == ("copy/variants", 2, "fake-m")
    assert len({v.seed for v in variants}) == 3  # each variant has its own seed
    # the lamp's light quotes are the most relevant to this brief
    light = CustomerText.objects.filter(pk__in=quote_ids[:3]).values_list("text", flat=True)
    assert any("light" in t.lower() for t in light)


def test_grounding_uses_the_latest_analysis(owner, texts, model):
    _analysis_with_findings(owner, sorted(texts))
    request = generate(owner, variants=1)
    titles = [t["title"] for t in request.grounding["themes"]]
    assert titles[0] == "Warm light" and "Battery drains fast" in titles  # the closest finding to the brief first
    assert "Battery drains fast" in model.prompts[0][1]["content"]
    assert all(t["evidence"] and set(t["evidence"]) <= texts for t in request.grounding["themes"])


def test_claims_no_quote_supports_are_flagged(owner, texts, model):
    variant = generate(owner, variants=1).variants.get()
    flagged = {(c["field"], c["kind"], c["text"]) for c in variant.flagged_claims}
    assert flagged == {("body", "superlative", "best"), ("body", "number", "3x")}


def test_banned_words_are_regenerated(owner, texts, fake_llm):
    services.update_brand_voice(owner.ctx, words_to_avoid=["cheap"])
    fake = fake_llm.use(CopyScript(banned_calls=3))
    request = generate(owner)
    variants = list(request.variants.all())
    assert len(variants) == 3 and fake.copy_calls == 6
    assert all("cheap" not in v.text.lower() and v.attempts == 2 for v in variants)


def test_a_variant_that_keeps_using_banned_words_is_dropped(owner, texts, fake_llm):
    services.update_brand_voice(owner.ctx, words_to_avoid=["CHEAP"])
    fake = fake_llm.use(CopyScript(banned_calls=5))  # 2 slots × 3 attempts; the 5th answer is banned too
    request = generate(owner, variants=2)
    assert fake.copy_calls == 6
    kept = list(request.variants.all())
    assert len(kept) == 1 and "cheap" not in kept[0].text.lower() and kept[0].attempts == 3
    assert any("dropped after 3 attempts" in n and "CHEAP" in n for n in request.notes)
    assert request.status == "succeeded"


def test_when_every_variant_is_dropped_the_job_fails_with_a_reason(owner, texts, fake_llm):
    services.update_brand_voice(owner.ctx, words_to_avoid=["cheap"])
    fake_llm.use(CopyScript(banned_calls=100))
    request = generate(owner, variants=1)
    assert request.status == "failed" and not request.variants.exists()
    assert "words the brand voice avoids" in request.job.error


def test_chinese_copy_for_the_zh_locale(owner, texts, fake_llm):
    services.update_brand_voice(owner.ctx, words_to_avoid=["最好"])
    fake = fake_llm.use(CopyScript(content=ZH, banned_calls=1, banned_word="最好"))
    request = generate(owner, variants=1, language="zh", locale="zh-CN")
    variant = request.variants.get()
    assert request.locale == "zh-CN" and variant.language == "zh" and "最好" not in variant.text
    system, user = fake.prompts[0][0]["content"], fake.prompts[0][1]["content"]
    assert "Simplified Chinese for readers in mainland China" in system + user and '"locale": "zh-CN"' in user


def test_every_variant_is_moderated_and_approval_waits_for_moderation(owner, texts, fake_llm, make_member,
                                                                      django_capture_on_commit_callbacks):
    fake_llm.use(CopyScript(content=SPAM))
    variant = generate(owner, variants=1).variants.get()
    case = ModerationCase.objects.get(workspace=owner.workspace, subject_type="copy_variant",
                                      subject_id=str(variant.pk))
    assert variant.moderation_case_id == case.pk and case.text == variant.text
    assert variant.moderation_status == "hidden" and "Spam" in variant.moderation_reason
    with pytest.raises(services.CopyConflict, match="rejected"):
        services.approve_variant(owner.ctx, variant.pk)
    # a moderator approves the case: the variant learns it through moderation's signal
    moderator = make_member("moderator")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.decide(moderator.ctx, case.pk, "approve", note="Fine for an ad.")
    variant.refresh_from_db()
    assert variant.moderation_status == "approved" and variant.moderation_reason == ""
    approved = services.approve_variant(owner.ctx, variant.pk)
    assert approved.approved and approved.approved_by == owner.user


def test_variants_are_moderated_in_their_own_language(owner, texts, model):
    """Variants of mixed languages moderated together: each is judged in its own language, not the first's."""
    english = generate(owner, variants=1).variants.get()
    chinese = CopyVariant.objects.create(workspace=owner.workspace, request=english.request, position=2,
                                         headline=ZH["headline"], body=ZH["body"],
                                         call_to_action=ZH["call_to_action"], language="zh")
    services.moderate_variants([english, chinese])
    cases = {c.subject_id: c for c in ModerationCase.objects.filter(
        workspace=owner.workspace, subject_type="copy_variant", subject_id__in=[str(english.pk), str(chinese.pk)])}
    assert cases[str(english.pk)].language == "en" and cases[str(chinese.pk)].language == "zh"
    assert cases[str(chinese.pk)].text == chinese.text
    chinese.refresh_from_db()
    assert chinese.moderation_case_id == cases[str(chinese.pk)].pk and chinese.moderation_status == "approved"


def test_a_moderator_rejection_shows_why_and_withdraws_approval(owner, texts, model, make_member,
                                                                django_capture_on_commit_callbacks):
    variant = generate(owner, variants=1).variants.get()
    assert variant.moderation_status == "approved"
    services.approve_variant(owner.ctx, variant.pk)
    moderator = make_member("moderator")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.decide(moderator.ctx, variant.moderation_case_id, "reject", note="Claims we cannot prove.")
    variant.refresh_from_db()
    assert variant.moderation_status == "rejected" and not variant.approved
    assert "Claims we cannot prove." in variant.moderation_reason


def test_a_moderators_edit_becomes_the_variant_text(owner, texts, model, make_member,
                                                    django_capture_on_commit_callbacks):
    variant = generate(owner, variants=1).variants.get()
    moderator = make_member("moderator")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.decide(moderator.ctx, variant.moderation_case_id, "edit",
                          text="Warm light for reading\n\nA softer glow for your evenings.\n\nPre-order")
    variant.refresh_from_db()
    assert (variant.headline, variant.body, variant.call_to_action) == (
        "Warm light for reading", "A softer glow for your evenings.", "Pre-order")
    assert variant.edited and variant.moderation_status == "approved" and variant.history[-1]["why"] == "moderator edit"


def test_edit_is_moderated_again(owner, texts, model):
    variant = generate(owner, variants=1).variants.get()
    services.approve_variant(owner.ctx, variant.pk)
    edited = services.edit_variant(owner.ctx, variant.pk, body=SPAM["body"], call_to_action="Click here")
    assert edited.edited and not edited.approved and edited.moderation_status == "hidden"
    assert edited.history[-1]["body"] == CLEAN["body"]
    assert not edited.flagged_claims or all(c["field"] != "body" or c["text"] != "best" for c in edited.flagged_claims)
    case = ModerationCase.objects.get(pk=edited.moderation_case_id)
    assert case.text == edited.text  # the new text was judged, not the old one
    back = services.edit_variant(owner.ctx, variant.pk, body="A softer glow for 12 hours.", call_to_action="Pre-order")
    assert back.moderation_status == "approved"
    assert [(c["kind"], c["text"]) for c in back.flagged_claims] == [("duration", "12 hours")]
    with pytest.raises(services.CopyError, match="avoids"):
        services.update_brand_voice(owner.ctx, words_to_avoid=["glow"])
        services.edit_variant(owner.ctx, variant.pk, body="An even warmer glow.")


def test_regenerate_one_variant(owner, texts, model):
    request = generate(owner, variants=2)
    first, second = request.variants.all()
    job = services.regenerate_variant(owner.ctx, first.pk)
    with pytest.raises(services.CopyConflict, match="already"):
        services.regenerate_variant(owner.ctx, first.pk)
    calls = model.copy_calls
    services.run_regenerate(first.pk, str(job.pk))
    job.refresh_from_db()
    first.refresh_from_db()
    assert job.status == "succeeded" and model.copy_calls == calls + 1
    assert first.history[-1]["why"] == "regenerate" and first.moderation_status == "approved"
    assert set(first.sources) <= {q["id"] for q in request.grounding["quotes"]}
    second_before = second.updated_at
    second.refresh_from_db()
    assert second.updated_at == second_before and not second.history  # the other variant is untouched
    services.regenerate_variant(owner.ctx, first.pk)  # allowed again once the last one finished


def test_favourites_and_csv_export(owner, texts, model):
    request = generate(owner, variants=2)
    first = request.variants.first()
    services.set_favourite(owner.ctx, first.pk, True)
    api = owner.api()
    body = api.get(f"/api/v1/copy/{request.pk}/export.csv?favourites=true").content.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("variant,channel,locale,headline") and len(lines) == 2
    assert "Warm light for late reading" in lines[1] and "superlative: best" in lines[1]
    assert len(api.get(f"/api/v1/copy/{request.pk}/export.csv").content.decode("utf-8-sig").strip().splitlines()) == 3


def test_csv_export_neutralises_formulas(owner, texts, fake_llm):
    fake_llm.use(CopyScript(content={**CLEAN, "headline": "=HYPERLINK(\"x\")"}))
    request = generate(owner, variants=1)
    body = owner.api().get(f"/api/v1/copy/{request.pk}/export.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_api_create_and_read(owner, texts, model):
    api = owner.api()
    response = api.post("/api/v1/copy", {"brief": {**BRIEF, "variants": 2}}, content_type="application/json")
    assert response.status_code == 202, response.content
    accepted = response.json()
    assert set(accepted) == {"job_id", "copy_id"}
    assert api.get(f"/api/v1/jobs/{accepted['job_id']}").json()["status"] == "queued"
    services.run_copy(accepted["copy_id"])
    body = api.get(f"/api/v1/copy/{accepted['copy_id']}").json()
    assert body["status"] == "succeeded" and body["brief"]["channel"] == "ad" and body["brief"]["locale"] == "en-US"
    assert body["prompt"] == {"name": "copy/variants", "version": 2} and body["grounding"]["quotes"]
    assert len(body["variants"]) == 2
    variant = body["variants"][0]
    assert {"text", "language", "moderation", "sources", "flagged_claims", "quotes", "favourite", "approved",
            "model", "seed"} <= set(variant)
    assert variant["text"] and variant["language"] == "en" and variant["moderation"]["status"] == "approved"
    assert set(variant["sources"]) <= texts and [q["id"] for q in variant["quotes"]] == variant["sources"]
    base = f"/api/v1/copy/{accepted['copy_id']}/variants/{variant['id']}"
    patched = api.patch(base, {"headline": "Read longer"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["headline"] == "Read longer" and patched.json()["edited"]
    assert api.post(f"{base}/favourite", {"favourite": True}, content_type="application/json").json()["favourite"]
    assert api.post(f"{base}/approve").json()["approved"]
    assert api.post(f"{base}/regenerate").status_code == 202
    assert api.get("/api/v1/copy").json()["results"][0]["id"] == accepted["copy_id"]


def test_api_refuses_approval_before_moderation_and_bad_briefs(owner, texts, fake_llm):
    fake_llm.use(CopyScript(content=SPAM))
    api = owner.api()
    accepted = api.post("/api/v1/copy", {"brief": {**BRIEF, "variants": 1}}, content_type="application/json").json()
    services.run_copy(accepted["copy_id"])
    variant = api.get(f"/api/v1/copy/{accepted['copy_id']}").json()["variants"][0]
    assert variant["moderation"]["status"] == "hidden" and variant["moderation"]["reason"]
    refused = api.post(f"/api/v1/copy/{accepted['copy_id']}/variants/{variant['id']}/approve")
    assert refused.status_code == 409 and "rejected" in refused.json()["error"]
    bad = api.post("/api/v1/copy", {"brief": {**BRIEF, "channel": "fax"}}, content_type="application/json")
    assert bad.status_code == 400 and "channel" in bad.json()["error"]
    missing = api.post("/api/v1/copy", {"brief": {"product": "x"}}, content_type="application/json")
    assert missing.status_code == 400


def test_copy_needs_customer_texts(owner, model):
    response = owner.api().post("/api/v1/copy", {"brief": BRIEF}, content_type="application/json")
    assert response.status_code == 400 and "Import customer texts" in response.json()["error"]


def test_roles(make_member, texts, model, owner):
    request = generate(owner, variants=1)
    variant = request.variants.get()
    for role in ("viewer", "moderator"):
        api = make_member(role).api()
        assert api.post("/api/v1/copy", {"brief": BRIEF}, content_type="application/json").status_code == 403
        base = f"/api/v1/copy/{request.pk}/variants/{variant.pk}"
        assert api.patch(base, {"body": "x"}, content_type="application/json").status_code == 403
        assert api.post(f"{base}/approve").status_code == 403
        assert api.post(f"{base}/regenerate").status_code == 403
        assert api.get(f"/api/v1/copy/{request.pk}").status_code == 200  # reading is fine
        assert api.post("/api/v1/ideas").status_code == 403
    analyst = make_member("analyst")
    assert analyst.api().post("/api/v1/copy", {"brief": BRIEF}, content_type="application/json").status_code == 202
    assert analyst.api().put("/api/v1/brand-voice", {"words_to_avoid": ["x"]},
                             content_type="application/json").status_code == 403
    voice = owner.api().put("/api/v1/brand-voice", {"words_to_avoid": ["cheap", "最"], "formality": 4},
                            content_type="application/json")
    assert voice.status_code == 200 and voice.json()["words_to_avoid"] == ["cheap", "最"]
    assert analyst.api().get("/api/v1/brand-voice").json()["formality"] == 4


def test_workspace_isolation(make_member, texts, model, owner):
    request = generate(owner, variants=1)
    variant = request.variants.get()
    other = make_member("owner", "Other")
    api = other.api()
    assert api.get(f"/api/v1/copy/{request.pk}").status_code == 404
    assert api.get("/api/v1/copy").json()["results"] == []
    base = f"/api/v1/copy/{request.pk}/variants/{variant.pk}"
    assert api.patch(base, {"body": "x"}, content_type="application/json").status_code == 404
    assert api.post(f"{base}/approve").status_code == 404
    assert api.post(f"{base}/favourite", {"favourite": True}, content_type="application/json").status_code == 404
    assert api.get(f"/api/v1/copy/{request.pk}/export.csv").status_code == 404
    assert other.browser().get(f"/copy/{request.pk}/").status_code == 404
    # and grounding never reaches into another workspace's texts
    import_now(other, "o.csv", b"text\nThe other lamp flickers\nAnother lamp review here\n")
    theirs = generate(other, variants=1)
    assert set(theirs.variants.get().sources) <= set(
        CustomerText.objects.filter(workspace=other.workspace).values_list("pk", flat=True))
    assert not set(q["id"] for q in theirs.grounding["quotes"]) & texts


def test_grounding_leaves_out_texts_moderation_has_not_cleared(owner, texts, model):
    hidden = CustomerText.objects.filter(workspace=owner.workspace, text__icontains="light").first()
    CustomerText.objects.filter(pk=hidden.pk).update(moderation_status="hidden")
    request = generate(owner, variants=1)
    assert hidden.pk not in [q["id"] for q in request.grounding["quotes"]]


def test_pages_render_and_escape(owner, texts, fake_llm, make_member):
    evil = {**CLEAN, "headline": "<script>alert('x')</script> best"}
    fake_llm.use(CopyScript(content=evil))
    request = generate(owner, variants=2)
    CustomerText.objects.filter(pk=request.grounding["quotes"][0]["id"]).update(text="<img src=x onerror=alert(1)>")
    for role in ("owner", "analyst", "moderator", "viewer"):
        browser = make_member(role).browser()
        for url in ("/copy/", f"/copy/{request.pk}/"):
            response = browser.get(url)
            assert response.status_code == 200, (role, url)
    body = owner.browser().get(f"/copy/{request.pk}/").content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert "<img src=x" not in body
    assert '<mark class="claim"' in body and "/texts/" in body and "js/copy.js" in body
    assert 'data-action="approve"' in body
    assert 'data-action="approve"' not in make_member("viewer").browser().get(f"/copy/{request.pk}/").content.decode()


def _analysis_with_findings(member, text_ids: list[int]) -> AnalysisRun:
    job = jobs.create_job(member.workspace, "analysis")
    run = AnalysisRun.objects.create(workspace=member.workspace, job=job, version=1, status="succeeded")
    Insight.objects.create(run=run, kind="pain_point", title="Battery drains fast", detail="d", evidence=text_ids[:3])
    Insight.objects.create(run=run, kind="feature_request", title="Dimmer", detail="d", evidence=text_ids[3:5])
    Insight.objects.create(run=run, kind="praise", title="Warm light", detail="d", evidence=text_ids[5:6])
    return run


def test_ideas_cite_evidence_from_the_latest_analysis(owner, texts, model):
    with pytest.raises(services.CopyError, match="Run an analysis first"):
        services.start_ideas(owner.ctx)
    run = _analysis_with_findings(owner, sorted(texts))
    idea_set = services.start_ideas(owner.ctx)
    services.generate_ideas(idea_set.pk)
    idea_set = IdeaSet.objects.get(pk=idea_set.pk)
    assert idea_set.status == "succeeded" and idea_set.analysis_id == run.pk and idea_set.job.status == "succeeded"
    ideas = list(idea_set.ideas.all())
    assert {i.kind for i in ideas} == {"product_idea", "positioning"}
    assert "Invented" not in [i.title for i in ideas]  # cited nothing it was shown: dropped
    cited = set(sorted(texts)[:5])
    assert all(i.evidence and set(i.evidence) <= cited for i in ideas)
    body = owner.api().get(f"/api/v1/ideas/{idea_set.pk}").json()
    assert body["ideas"] and body["analysis_id"] == run.pk
    page = owner.browser().get(f"/copy/ideas/{idea_set.pk}/").content.decode()
    assert "Battery saver mode" in page and f"#{ideas[0].evidence[0]}" in page
    assert owner.api().post("/api/v1/ideas").status_code == 202


def test_cancelled_generation_stores_nothing(owner, texts, model):
    request = services.start_copy(owner.ctx, BRIEF)
    jobs.request_cancel(request.job)
    services.run_copy(request.pk)
    request.refresh_from_db()
    assert request.status == "failed" and request.job.error == "Cancelled." and not CopyVariant.objects.exists()
