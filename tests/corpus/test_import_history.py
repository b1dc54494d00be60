"""The import history (issue #16): each import with its file, date, uploader and counts (`GET /api/v1/imports`,
`/imports/`), and "undo this import", which erases the texts it created and everything derived from them through
privacy's erasure, leaves the texts it found already imported to the earlier import, and refuses while it runs."""

from __future__ import annotations

import pytest

from apps.corpus import selectors, services
from apps.corpus.models import CustomerText, TextImport
from apps.embeddings.models import TextEmbedding
from apps.insights.models import TextAnalysis
from apps.jobs.models import Job
from apps.moderation import services as moderation
from apps.moderation.models import ModerationCase
from apps.privacy.models import AuditAction, PrivacyAuditEntry
from apps.replies.models import ReplyDraft
from apps.translation.models import TextTranslation
from tests.conftest import import_now
from tests.factories import corpus_csv
from tests.moderation.helpers import without_judge

NEW = ["The charger cable frayed after a month", "The lamp flickers when the battery is low"]
SKIPPY = b'text,rating\n"Lovely lamp",5\n"",4\n"Bright enough",abc\n"Good value",4\n'


def _started(member, filename: str, data: bytes, *, skip: bool = False) -> TextImport:
    """An import stored but not yet embedded: its job is still running."""
    started = services.begin_import(member.ctx, services.Upload(filename, data, {}, skip_invalid_rows=skip))
    services.process_import(started.text_import.pk)
    started.text_import.refresh_from_db()
    return started.text_import


def test_history_lists_the_workspace_imports_newest_first_with_counts_and_uploader(owner, make_member):
    analyst = make_member("analyst")
    first = _started(owner, "reviews.csv", corpus_csv())
    second = _started(analyst, "more.csv", corpus_csv(NEW))
    third = _started(analyst, "skippy.csv", SKIPPY, skip=True)

    count, rows = selectors.import_history(owner.ctx, limit=50, offset=0)
    assert count == 3 and [r.id for r in rows] == [third.pk, second.pk, first.pk]
    by_id = {r.id: r for r in rows}
    assert (by_id[first.pk].rows, by_id[first.pk].imported, by_id[first.pk].duplicates) == (18, 18, 0)
    assert (by_id[second.pk].rows, by_id[second.pk].imported, by_id[second.pk].duplicates) == (20, 2, 18)
    assert (by_id[third.pk].rows, by_id[third.pk].imported, by_id[third.pk].skipped) == (2, 2, 2)
    assert by_id[first.pk].uploaded_by == owner.user.username and by_id[second.pk].uploaded_by == analyst.user.username
    assert all(r.status == "running" and not r.can_undo for r in rows)  # embedding has not run yet

    viewer = make_member("viewer")
    response = viewer.api().get("/api/v1/imports?limit=2")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3 and [r["id"] for r in body["results"]] == [third.pk, second.pk]
    row = body["results"][1]
    assert row["filename"] == "more.csv" and row["uploaded_by"] == analyst.user.username
    assert (row["rows"], row["imported"], row["duplicates"], row["skipped"]) == (20, 2, 18, 0)
    assert row["status"] == "running" and row["can_undo"] is False and row["undone_at"] is None
    older = viewer.api().get("/api/v1/imports?limit=2&offset=2").json()
    assert [r["id"] for r in older["results"]] == [first.pk]
    assert viewer.api().get("/api/v1/imports?limit=0").status_code == 400


def test_undo_is_refused_while_the_import_runs_and_for_viewers(owner, make_member):
    running = _started(owner, "reviews.csv", corpus_csv())
    response = owner.api().post(f"/api/v1/imports/{running.pk}/undo")
    assert response.status_code == 409, response.content
    assert "still being imported" in response.json()["error"] and "reviews.csv" in response.json()["error"]
    assert CustomerText.objects.filter(text_import=running).count() == 18

    viewer = make_member("viewer")
    assert viewer.api().post(f"/api/v1/imports/{running.pk}/undo").status_code == 403
    assert viewer.browser().post(f"/imports/{running.pk}/undo/").status_code == 403
    TextImport.objects.filter(pk=running.pk).update(status="failed")
    Job.objects.filter(pk=running.job_id).update(status="failed")
    response = owner.api().post(f"/api/v1/imports/{running.pk}/undo")
    assert response.status_code == 400 and "nothing to undo" in response.json()["error"]


def test_another_workspace_import_is_not_found(owner, make_member):
    mine = _started(owner, "reviews.csv", corpus_csv())
    stranger = make_member("owner", workspace="Globex")
    assert stranger.api().get("/api/v1/imports").json() == {"count": 0, "results": []}
    response = stranger.api().post(f"/api/v1/imports/{mine.pk}/undo")
    assert response.status_code == 404, response.content
    assert stranger.browser().get(f"/imports/{mine.pk}/undo/").status_code == 404
    assert stranger.browser().post(f"/imports/{mine.pk}/undo/").status_code == 404
    assert selectors.get_import(stranger.ctx, mine.pk) is None
    assert CustomerText.objects.filter(text_import=mine).count() == 18


def test_undo_erases_the_import_texts_and_what_was_derived_but_not_an_earlier_import(owner, make_member):
    without_judge(owner.workspace)
    analyst = make_member("analyst")
    earlier = import_now(owner, "reviews.csv", corpus_csv())
    later = import_now(analyst, "more.csv", corpus_csv(NEW))
    assert (later.rows_new, later.rows_duplicate) == (2, 18)
    job = moderation.start_import_screening(owner.workspace.pk, later.pk)
    moderation.screen_texts(str(job.pk))
    new_ids = sorted(CustomerText.objects.filter(text_import=later).values_list("pk", flat=True))
    earlier_ids = sorted(CustomerText.objects.filter(text_import=earlier).values_list("pk", flat=True))
    assert len(new_ids) == 2 and len(earlier_ids) == 18
    ModerationCase.objects.get_or_create(workspace=owner.workspace, subject_type="customer_text",
                                         subject_id=str(new_ids[0]), defaults={"text": "x"})
    ReplyDraft.objects.create(workspace=owner.workspace, text_id=new_ids[0], body="Thanks, we are on it.")
    TextTranslation.objects.create(workspace=owner.workspace, text_id=new_ids[1], target_language="zh",
                                   translated_text="充电线", source_hash="h")
    assert TextEmbedding.objects.filter(text_id__in=new_ids).count() == 2
    assert TextAnalysis.objects.filter(text_id__in=new_ids).count() == 2
    history = {r["id"]: r for r in analyst.api().get("/api/v1/imports").json()["results"]}
    assert history[later.pk]["status"] == "imported" and history[later.pk]["can_undo"] is True
    earlier_embeddings = TextEmbedding.objects.filter(text_id__in=earlier_ids).count()

    response = analyst.api().post(f"/api/v1/imports/{later.pk}/undo")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "undone" and body["texts_removed"] == 2 and body["undone_at"] and not body["can_undo"]

    assert not CustomerText.objects.filter(pk__in=new_ids).exists()
    assert not TextEmbedding.objects.filter(text_id__in=new_ids).exists()
    assert not TextAnalysis.objects.filter(text_id__in=new_ids).exists()
    assert not ModerationCase.objects.filter(workspace=owner.workspace, subject_type="customer_text",
                                             subject_id__in=[str(i) for i in new_ids]).exists()
    assert not ReplyDraft.objects.filter(text_id__in=new_ids).exists()
    assert not TextTranslation.objects.filter(text_id__in=new_ids).exists()
    # The 18 rows the later import found already present belong to the earlier one: they stay, with their vectors.
    assert sorted(CustomerText.objects.filter(workspace=owner.workspace).values_list("pk", flat=True)) == earlier_ids
    assert TextEmbedding.objects.filter(text_id__in=earlier_ids).count() == earlier_embeddings
    entry = PrivacyAuditEntry.objects.get(workspace=owner.workspace, action=AuditAction.ERASURE)
    assert entry.actor == analyst.user and entry.detail["undone_import"] == later.pk and entry.detail["texts"] == 2
    later.refresh_from_db()
    assert later.undone_by == analyst.user and later.texts_removed == 2

    again = analyst.api().post(f"/api/v1/imports/{later.pk}/undo")
    assert again.status_code == 409 and "already undone" in again.json()["error"]
    assert "undone" in services.import_retry_refusal(later.job)


def test_the_imports_page_lists_and_undoes_with_a_confirmation(owner, make_member):
    first = import_now(owner, "reviews.csv", corpus_csv())
    browser = owner.browser()
    page = browser.get("/imports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "reviews.csv" in html and owner.user.username in html and "Undo this import" in html
    assert 'href="/imports/"' in browser.get("/").content.decode()  # linked from the navigation

    viewer_page = make_member("viewer").browser().get("/imports/").content.decode()
    assert "reviews.csv" in viewer_page and "Undo this import" not in viewer_page

    confirm = browser.get(f"/imports/{first.pk}/undo/")
    assert confirm.status_code == 200 and "18 texts" in confirm.content.decode()
    assert CustomerText.objects.filter(text_import=first).count() == 18  # a GET changes nothing
    done = browser.post(f"/imports/{first.pk}/undo/", follow=True)
    assert done.status_code == 200 and "Undone: 18 texts of reviews.csv removed" in done.content.decode()
    assert not CustomerText.objects.filter(workspace=owner.workspace).exists()
    assert "Undone" in browser.get("/imports/").content.decode()


@pytest.mark.parametrize("role", ["owner", "analyst"])
def test_nothing_new_import_can_be_undone_and_removes_nothing_of_the_earlier_one(make_member, role):
    owner = make_member("owner")
    who = make_member(role, username=f"{role}-2")
    earlier = import_now(owner, "reviews.csv", corpus_csv())
    again = import_now(who, "reviews-again.csv", corpus_csv())
    assert again.rows_new == 0
    undone = services.undo_import(who.ctx, again.pk)
    assert undone.counts["texts"] == 0
    assert CustomerText.objects.filter(text_import=earlier).count() == 18
