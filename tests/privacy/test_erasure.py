"""Right to erasure: one customer's data is found (by author, email or words), reviewed, then erased from texts,
embeddings, analyses, moderation cases and decisions, reports, copy, caches and uploaded files, and the
erasure is logged without the personal data. A scan of the whole database proves nothing of it remains."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.copy.models import CopyRequest, CopyVariant, IdeaSet, ProductIdea
from apps.corpus.models import CustomerText, TextImport
from apps.embeddings.models import TextEmbedding
from apps.insights.models import Insight, TextAnalysis, Theme, ThemeSnapshot
from apps.jobs import services as jobs
from apps.llm.models import LLMCacheEntry
from apps.moderation import services as moderation
from apps.moderation.models import AuditEntry, ModerationCase
from apps.privacy.models import AuditAction, ErasureRequest, PrivacyAuditEntry
from tests.conftest import import_now
from tests.factories import run_now
from tests.fakes import AnalysisScript
from tests.moderation.helpers import without_judge

from .helpers import CUSTOMER, EMAIL, TRACES, WORD, corpus_csv, database_traces


def _customer_ids(workspace) -> list[int]:
    return sorted(t.pk for t in CustomerText.objects.filter(workspace=workspace) if t.author == CUSTOMER)


def _everything_about_the_customer(owner) -> list[int]:
    """Import, moderate (with a decision), analyse, write copy and ideas from the customer's texts."""
    without_judge(owner.workspace)
    text_import = import_now(owner, "reviews.csv", corpus_csv())
    job = moderation.start_import_screening(owner.workspace.pk, text_import.pk)
    moderation.screen_texts(str(job.pk))
    ids = _customer_ids(owner.workspace)
    case = ModerationCase.objects.get(workspace=owner.workspace, subject_id=str(ids[0]))
    moderation.decide(owner.ctx, case.pk, "approve", note="checked by hand")
    run = run_now(owner)
    assert run.status == "succeeded"
    Insight.objects.filter(run=run).update(evidence=ids)  # the report cites the customer
    ThemeSnapshot.objects.filter(run=run).update(quotes=ids)
    texts = {t.pk: t.text for t in CustomerText.objects.filter(pk__in=ids)}
    request = CopyRequest.objects.create(
        workspace=owner.workspace, job=jobs.create_job(owner.workspace, "copy"), product="Lamp", audience="readers",
        goal="sales", channel="ad", language="en", locale="en-US",
        grounding={"quotes": [{"id": i, "text": t, "score": 0.9} for i, t in texts.items()],
                   "themes": [{"title": "Battery", "evidence": ids}]})
    CopyVariant.objects.create(workspace=owner.workspace, request=request, position=1, headline="Lasts all night",
                               language="en", sources=ids)
    ideas = IdeaSet.objects.create(workspace=owner.workspace, job=jobs.create_job(owner.workspace, "ideas"))
    ProductIdea.objects.create(idea_set=ideas, kind="product_idea", title="Battery saver", evidence=ids)
    Theme.objects.filter(workspace=owner.workspace).update(keywords=[WORD, "battery"], label=f"{WORD} · battery")
    return ids


def test_erasure_by_author_leaves_nothing_of_the_customer(owner, fake_llm):
    fake_llm.use(AnalysisScript())
    ids = _everything_about_the_customer(owner)
    others = CustomerText.objects.filter(workspace=owner.workspace).exclude(pk__in=ids).count()
    assert LLMCacheEntry.objects.filter(workspace=owner.workspace).exists()
    assert TextEmbedding.objects.filter(text_id__in=ids).count() == 2
    analysed = TextAnalysis.objects.filter(text_id__in=ids).count()
    assert analysed >= 1
    assert AuditEntry.objects.filter(case__subject_id=str(ids[0])).exists()
    assert database_traces(TRACES), "the scan must see the data (decrypted) before the erasure"

    api = owner.api()
    preview = api.post("/api/v1/privacy/erasures", {"kind": "author", "value": "  zelda   QUINTRELL "},
                       content_type="application/json")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["matches"] == 2 and sorted(t["id"] for t in body["texts"]) == ids
    assert all(t["author"] == CUSTOMER for t in body["texts"])  # the owner reviews the originals
    done = api.post(f"/api/v1/privacy/erasures/{body['id']}/confirm", {}, content_type="application/json").json()
    counts = done["counts"]
    assert done["status"] == "done" and counts["texts"] == 2 and counts["embeddings"] == 2
    assert counts["moderation_cases"] == 2 and counts["moderation_decisions"] == 1
    assert counts["analyses"] == analysed and counts["llm_cache_entries"] >= 1 and counts["theme_keywords"] >= 1

    assert database_traces(TRACES) == []
    assert not CustomerText.objects.filter(pk__in=ids).exists()
    assert not TextEmbedding.objects.filter(text_id__in=ids).exists()
    assert not TextAnalysis.objects.filter(text_id__in=ids).exists()
    assert not ModerationCase.objects.filter(workspace=owner.workspace, subject_id__in=[str(i) for i in ids]).exists()
    assert all(not set(ids) & set(i.evidence) for i in Insight.objects.filter(run__workspace=owner.workspace))
    assert all(not set(ids) & set(s.quotes) for s in ThemeSnapshot.objects.filter(run__workspace=owner.workspace))
    assert CopyVariant.objects.get(request__workspace=owner.workspace).sources == []
    grounding = CopyRequest.objects.get(workspace=owner.workspace).grounding
    assert grounding["quotes"] == [] and grounding["themes"][0]["evidence"] == []
    assert ProductIdea.objects.get(idea_set__workspace=owner.workspace).evidence == []
    assert not LLMCacheEntry.objects.filter(workspace=owner.workspace).exists()
    assert CustomerText.objects.filter(workspace=owner.workspace).count() == others  # nobody else was touched

    erasure = ErasureRequest.objects.get(pk=body["id"])
    assert erasure.text_ids == [] and erasure.counts["texts"] == 2
    entry = PrivacyAuditEntry.objects.get(workspace=owner.workspace, action=AuditAction.ERASURE)
    assert entry.actor == owner.user and entry.detail["texts"] == 2 and entry.detail["criterion_hash"]
    assert "zelda" not in str(entry.detail).lower()


def test_email_search_finds_it_in_the_originals_and_only_ticked_texts_are_erased(owner):
    import_now(owner, "reviews.csv", corpus_csv())
    ids = _customer_ids(owner.workspace)
    api = owner.api()
    preview = api.post("/api/v1/privacy/erasures", {"kind": "email", "value": EMAIL.upper()},
                       content_type="application/json").json()
    mailed = [t["id"] for t in preview["texts"]]
    assert len(mailed) == 1 and mailed[0] in ids  # only one text contains the address (redacted in `text`)
    words = api.post("/api/v1/privacy/erasures", {"kind": "text", "value": WORD},
                     content_type="application/json").json()
    assert words["matches"] == 2
    keep = [i for i in ids if i != mailed[0]]
    done = api.post(f"/api/v1/privacy/erasures/{words['id']}/confirm", {"text_ids": mailed},
                    content_type="application/json").json()
    assert done["counts"]["texts"] == 1
    assert CustomerText.objects.filter(pk__in=keep).count() == 1 and not CustomerText.objects.filter(
        pk__in=mailed).exists()
    again = api.post(f"/api/v1/privacy/erasures/{words['id']}/confirm", {}, content_type="application/json")
    assert again.status_code == 400 and "already" in again.json()["error"]


def test_erasure_needs_an_owner_a_fresh_preview_and_a_specific_search(owner, make_member, settings):
    import_now(owner, "reviews.csv", corpus_csv())
    api = owner.api()
    analyst = make_member("analyst", owner.workspace.name)
    assert analyst.api().post("/api/v1/privacy/erasures", {"kind": "author", "value": CUSTOMER},
                              content_type="application/json").status_code == 403
    short = api.post("/api/v1/privacy/erasures", {"kind": "text", "value": "ab"}, content_type="application/json")
    assert short.status_code == 400 and "at least 3" in short.json()["error"]
    bad = api.post("/api/v1/privacy/erasures", {"kind": "email", "value": "zelda"}, content_type="application/json")
    assert bad.status_code == 400 and "email address" in bad.json()["error"]
    settings.MURMUR_ERASURE_MAX_MATCHES = 3
    broad = api.post("/api/v1/privacy/erasures", {"kind": "text", "value": "the"}, content_type="application/json")
    assert broad.status_code == 400 and "more specific" in broad.json()["error"]
    preview = api.post("/api/v1/privacy/erasures", {"kind": "author", "value": CUSTOMER},
                       content_type="application/json").json()
    other = make_member("owner", "Elsewhere")
    assert other.api().post(f"/api/v1/privacy/erasures/{preview['id']}/confirm", {},
                            content_type="application/json").status_code == 404
    ErasureRequest.objects.filter(pk=preview["id"]).update(created_at=ErasureRequest.objects.get(
        pk=preview["id"]).created_at - timedelta(days=2))
    stale = api.post(f"/api/v1/privacy/erasures/{preview['id']}/confirm", {}, content_type="application/json")
    assert stale.status_code == 400 and "search again" in stale.json()["error"]
    assert len(_customer_ids(owner.workspace)) == 2


def test_erasure_pages_search_review_and_confirm(owner):
    import_now(owner, "reviews.csv", corpus_csv())
    ids = _customer_ids(owner.workspace)
    browser = owner.browser()
    response = browser.post("/privacy/erasure/", {"kind": "author", "value": CUSTOMER})
    assert response.status_code == 302
    review = browser.get(response.url)
    assert review.status_code == 200 and EMAIL.encode() in review.content  # the owner sees what will go
    assert PrivacyAuditEntry.objects.filter(action=AuditAction.VIEW_ORIGINALS,
                                            detail__channel="erasure_preview").exists()
    confirm_url = response.url.rstrip("/") + "/confirm/"
    nothing = browser.post(confirm_url, {})
    assert nothing.status_code == 302 and CustomerText.objects.filter(pk__in=ids).count() == 2
    done = browser.post(confirm_url, {"text_id": [str(i) for i in ids]}, follow=True)
    assert done.status_code == 200 and b"Erased 2 texts" in done.content
    assert not CustomerText.objects.filter(pk__in=ids).exists()


@pytest.mark.parametrize("status", ["pending", "committed"])
def test_erasure_drops_the_uploaded_files_the_texts_came_from(owner, status):
    text_import = import_now(owner, "reviews.csv", corpus_csv())
    ids = _customer_ids(owner.workspace)
    TextImport.objects.filter(pk=text_import.pk).update(status=status)
    TextImport.objects.filter(pk=text_import.pk).update(payload=corpus_csv())  # as if still kept for a retry
    from apps.privacy.services import erase_texts

    counts = erase_texts(owner.workspace, ids)
    assert counts["import_files"] == 1 and bytes(TextImport.objects.get(pk=text_import.pk).payload) == b""
