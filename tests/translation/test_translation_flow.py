"""Translations in-process with a scripted double of the model server: on demand and cached, refused in the
wrong language, in bulk as one job; the reader's language. (Moved from tests/replies/test_replies_flow.py.)"""

from __future__ import annotations

import pytest

from apps.corpus.models import CustomerText
from apps.dashboard.management.commands.load_demo import DEMO_KNOWLEDGE, DEMO_REPLY_POLICY
from apps.jobs.models import Job
from apps.replies.services import seed_reply_policy
from apps.translation import services
from apps.translation.models import TextTranslation
from tests.conftest import import_now
from tests.factories import BATTERY, ZH_TEXTS, corpus_csv_with_chinese
from tests.fakes import RepliesScript


@pytest.fixture
def model(fake_llm) -> RepliesScript:
    return fake_llm.use(RepliesScript())


@pytest.fixture
def texts(owner) -> dict[str, CustomerText]:
    """The analysis corpus plus two Chinese texts, and the demo's reply policy and knowledge."""
    import_now(owner, "r.csv", corpus_csv_with_chinese())
    seed_reply_policy(owner.workspace, DEMO_REPLY_POLICY, DEMO_KNOWLEDGE)
    return {t.text: t for t in CustomerText.objects.filter(workspace=owner.workspace)}


def test_translation_is_generated_once_then_cached(owner, texts, model):
    chinese = texts[ZH_TEXTS[0]]
    api = owner.api()
    first = api.get(f"/api/v1/texts/{chinese.pk}/translation?lang=en")
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["translation"].startswith("Translated:") and body["language"] == "en"
    assert body["source_language"] == "zh" and not body["cached"] and body["model"] == "fake-m"
    assert model.translate_calls == 1
    second = api.get(f"/api/v1/texts/{chinese.pk}/translation?lang=en").json()
    assert second["cached"] and second["translation"] == body["translation"] and model.translate_calls == 1
    # a text already in the reader's language costs no model call
    english = texts[BATTERY[0]]
    same = api.get(f"/api/v1/texts/{english.pk}/translation?lang=en").json()
    assert same["same_language"] and same["translation"] == english.text and model.translate_calls == 1
    # without `lang`, the reader's preferred language
    chosen = api.put("/api/v1/me/language", {"language": "zh"}, content_type="application/json")
    assert chosen.json()["language"] == "zh"
    into_zh = api.get(f"/api/v1/texts/{english.pk}/translation").json()
    assert into_zh["language"] == "zh" and into_zh["translation"].startswith("翻译") and model.translate_calls == 2
    assert TextTranslation.objects.filter(text=english, target_language="zh").exists()
    # a changed text is translated again, not served stale
    CustomerText.objects.filter(pk=chinese.pk).update(text="灯坏了")
    assert not api.get(f"/api/v1/texts/{chinese.pk}/translation?lang=en").json()["cached"]
    bad = api.put("/api/v1/me/language", {"language": "klingon"}, content_type="application/json")
    assert bad.status_code == 400 and "Choose a language" in bad.json()["error"]


def test_a_translation_in_the_wrong_language_is_refused_not_cached(owner, texts, fake_llm):
    fake = fake_llm.use(RepliesScript(wrong_language=True))
    chinese = texts[ZH_TEXTS[0]]
    response = owner.api().get(f"/api/v1/texts/{chinese.pk}/translation?lang=en")
    assert response.status_code == 502 and "did not answer in English" in response.json()["error"]
    assert fake.translate_calls == services.TRANSLATE_ATTEMPTS
    assert not TextTranslation.objects.filter(text=chinese).exists()


def test_bulk_translation_is_one_job(owner, texts, model):
    api = owner.api()
    response = api.post("/api/v1/translations", {"filters": {"language": "zh"}, "lang": "en"},
                        content_type="application/json")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.kind == "translations" and job.total == len(ZH_TEXTS)
    services.run_translations(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded" and job.done == len(ZH_TEXTS)
    assert job.result["translated"] == len(ZH_TEXTS) and model.translate_calls == len(ZH_TEXTS)
    again = Job.objects.get(pk=api.post("/api/v1/translations", {"filters": {"language": "zh"}, "lang": "en"},
                                        content_type="application/json").json()["job_id"])
    services.run_translations(str(again.pk))
    again.refresh_from_db()
    assert again.result["cached"] == len(ZH_TEXTS) and model.translate_calls == len(ZH_TEXTS)
    assert api.post("/api/v1/translations", {"text_ids": [texts[BATTERY[0]].pk], "lang": "xx"},
                    content_type="application/json").status_code == 400
