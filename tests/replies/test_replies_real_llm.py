"""Replies and translations through the real broker, a real worker and the real vLLM server (SmolLM2 in tests:
the structure, the language check, the policy check and moderation are asserted, not the prose)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.corpus.models import CustomerText
from apps.dashboard.management.commands.load_demo import DEMO_KNOWLEDGE, DEMO_REPLY_POLICY
from apps.moderation.models import ModerationCase
from apps.replies import services
from apps.replies.models import ReplyDraft, ReplyPolicy
from apps.replies.selectors import snippets
from apps.translation.models import TextTranslation
from tests.conftest import wait_for_job

pytestmark = [pytest.mark.llm, pytest.mark.django_db(transaction=True)]

EN = "The battery dies after two hours since the firmware 2.3 update. I want my money back!"
ZH = "电池一晚上就没电了，升级固件以后更严重了，太失望了"
OTHERS = ["Battery drains overnight since the update", "The parcel arrived late and the box was crushed",
          "Beautiful warm light for reading", "快递盒子被压坏了，灯也摔坏了", "灯光很柔和，晚上看书很舒服"]


# Replies a person would write, by the customer's language: no fact, offer or promise for the policy to flag.
CLEAN = {"en": "Thank you for telling us, and sorry for the trouble with your lamp.",
         "zh": "感谢您告诉我们，给您带来不便，非常抱歉。"}
# A reply stating what the policy covers (firmware 2.3.1 fixes the drain, as a free update).
FIRMWARE = {"en": "Sorry about the battery. Firmware 2.3.1 fixes it and is coming as a free update.",
            "zh": "电池的问题很抱歉。固件2.3.1修复了它，将作为免费更新推送。"}


def _csv() -> bytes:
    rows = ["text,rating,date"] + [f'"{t}",{1 if i < 2 else 4},2026-10-{10 + i}' for i, t in
                                   enumerate([EN, ZH, *OTHERS])]
    return ("\n".join(rows) + "\n").encode()


def test_replies_and_translations_with_the_real_model(make_member, celery_worker, llm_base_url):
    member = make_member("owner", "RealReplies")
    api = member.api()
    upload = api.post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", _csv())})
    assert wait_for_job(api, upload.json()["job_id"], timeout=300)["status"] == "succeeded"
    policy = api.put("/api/v1/reply-policy", DEMO_REPLY_POLICY, content_type="application/json")
    assert policy.status_code == 200, policy.content
    for title, text in DEMO_KNOWLEDGE:
        assert api.post("/api/v1/knowledge", {"title": title, "text": text},
                        content_type="application/json").status_code == 201
    texts = {t.text: t for t in CustomerText.objects.filter(workspace=member.workspace)}
    en, zh = texts[EN], texts[ZH]
    assert (en.language, zh.language) == ("en", "zh")

    started = api.post("/api/v1/replies", {"text_ids": [en.pk, zh.pk]}, content_type="application/json")
    assert started.status_code == 202, started.content
    job = wait_for_job(api, started.json()["job_id"], timeout=900)
    assert job["status"] == "succeeded", job
    assert job["done"] == job["total"] == 2 and job["result"]["drafts"] >= 1

    workspace_ids = {t.pk for t in texts.values()}
    policy_obj = ReplyPolicy.objects.get(workspace=member.workspace)
    drafted = [t for t in (en, zh) if t.pk not in job["result"]["failed_texts"]]
    assert drafted, job  # at least one draft, so the approval path below runs
    for text in (en, zh):
        listing = api.get(f"/api/v1/replies?text_id={text.pk}").json()
        if text not in drafted:  # the model failed this text: no draft, and the job says why
            assert listing["count"] == 0 and job["result"]["notes"], job
            continue
        assert listing["count"] == 1
        item = listing["results"][0]
        draft = ReplyDraft.objects.select_related("text").get(pk=item["id"])
        # structure
        assert item["text"].strip() and item["prompt"] == {"name": "replies/reply", "version": 2} and item["model"]
        assert isinstance(item["points"], list) and 1 <= item["attempts"] <= services.DRAFT_ATTEMPTS
        # grounding: only texts of this workspace, never the text itself
        cited = {s["id"] for s in item["sources"]["texts"]}
        assert cited <= workspace_ids and text.pk not in cited
        # the policy check ran on exactly this body: recomputing it gives the stored flags
        stored = ReplyDraft.objects.get(pk=item["id"])
        expected = services.flags_for(stored.body, services.allowed_for(
            draft.text, policy_obj, snippets(member.workspace), services.voice_for(member.workspace, policy_obj)),
            text.language)
        assert stored.policy_flags == expected
        # language: the customer's, or flagged as not
        kinds = {f["kind"] for f in item["policy_flags"]}
        assert item["language"] == text.language or "language" in kinds, item
        # moderation ran on this exact body before anyone can approve
        assert item["moderation"]["status"] in ("approved", "pending", "hidden"), item["moderation"]
        assert ModerationCase.objects.filter(workspace=member.workspace, subject_type="reply_draft",
                                             subject_id=str(item["id"]), text=item["text"]).exists()
        approve = api.post(f"/api/v1/replies/{item['id']}/approve")
        if item["moderation"]["status"] != "approved" or kinds - {"language"}:
            # what the model wrote cannot be approved yet: refused with a reason; a person edits it to a clean
            # reply in the customer's language (moderated and checked again), and then it can be approved
            assert approve.status_code == 409 and approve.json()["error"]
            edited = api.patch(f"/api/v1/replies/{item['id']}", {"text": CLEAN[text.language]},
                               content_type="application/json")
            assert edited.status_code == 200, edited.content
            assert edited.json()["policy_flags"] == [] and edited.json()["moderation"]["status"] == "approved", \
                edited.json()
            approve = api.post(f"/api/v1/replies/{item['id']}/approve")
        assert approve.status_code == 200 and approve.json()["approved"], approve.content

    # an edit is checked and moderated again, through the real judge where the detectors are unsure; it withdraws
    # the approval
    first = api.get(f"/api/v1/replies?text_id={drafted[0].pk}").json()["results"][0]
    edited = api.patch(f"/api/v1/replies/{first['id']}", {"text": FIRMWARE[drafted[0].language]},
                       content_type="application/json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["policy_flags"] == [] and edited.json()["moderation"]["status"] in (
        "approved", "pending", "hidden")
    assert not edited.json()["approved"]

    # translation on demand of the Chinese texts into English: a usable translation (then cached) or a clear
    # refusal, never a wrong one. SmolLM2 may answer a text in Chinese again (refused): the next Chinese text is
    # asked until one is translated, so that the translation path runs
    zh_texts = [zh, *(t for t in texts.values() if t.language == "zh" and t != zh)]
    assert len(zh_texts) == 3
    translated = []
    for source in zh_texts:
        if translated:
            break
        response = api.get(f"/api/v1/texts/{source.pk}/translation?lang=en")
        if response.status_code == 200:
            body = response.json()
            assert body["translation"].strip() and body["source_language"] == "zh" and not body["same_language"]
            again = api.get(f"/api/v1/texts/{source.pk}/translation?lang=en").json()
            assert again["cached"] and again["translation"] == body["translation"]
            translated.append(source.pk)
        else:
            assert response.status_code == 502 and "did not answer in English" in response.json()["error"]
            assert not TextTranslation.objects.filter(text=source, target_language="en").exists()
    assert translated, "the model translated none of the three Chinese texts into English"

    # bulk translation of the Chinese texts, as one job: the ones translated above come from the cache
    bulk = api.post("/api/v1/translations", {"filters": {"language": "zh"}, "lang": "en"},
                    content_type="application/json")
    assert bulk.status_code == 202, bulk.content
    job = wait_for_job(api, bulk.json()["job_id"], timeout=900)
    assert job["total"] == 3 and job["status"] == "succeeded", job
    counts = job["result"]
    assert counts["cached"] >= len(translated) and counts["translated"] + counts["cached"] + counts["failed"] == 3
    assert TextTranslation.objects.filter(text__workspace=member.workspace, target_language="en").count() \
        == counts["translated"] + counts["cached"]
