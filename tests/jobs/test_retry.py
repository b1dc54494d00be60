"""Retrying failed jobs, in-process: the Retry button and the API, what is refused, each kind's reset, and
publishing when the broker cannot be reached. Tasks run here (eagerly) with the insights and copy scripts of
tests/fakes.py; test_retry_worker.py retries imports through the real broker and worker."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from kombu.exceptions import OperationalError as BrokerError

from apps.copy import services as copy
from apps.copy.models import CopyRequest
from apps.corpus.models import TextImport
from apps.corpus.services import Upload, fail_import, start_import
from apps.insights import services as insights
from apps.insights.models import AnalysisRun
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.jobs.tasks import TRANSIENT_ERRORS
from apps.privacy.services import start_export
from tests.conftest import import_now
from tests.factories import BRIEF, corpus_csv
from tests.fakes import AnalysisScript, CopyScript

CSV = b"text,rating\nThe lamp is lovely,5\nThe dimmer flickers,2\n"


@pytest.fixture
def analysis_model(fake_llm) -> AnalysisScript:
    return fake_llm.use(AnalysisScript())


@pytest.fixture
def copy_model(fake_llm) -> CopyScript:
    return fake_llm.use(CopyScript())


def failed_analysis(member) -> AnalysisRun:
    """A run whose task gave up for good (its publish is an on-commit callback this test never runs)."""
    run = insights.start_analysis(member.ctx)
    insights.fail_run(run.pk, "The language model kept returning errors.")
    run.refresh_from_db()
    assert run.status == "failed" and run.job.status == "failed"
    return run


def failed_job(workspace, kind: str = "reply_drafts") -> Job:
    job = jobs.create_job(workspace, kind)
    jobs.fail(job.pk, "Something went wrong.")
    return Job.objects.get(pk=job.pk)


def test_a_failed_analysis_retried_through_the_api_ends_succeeded(owner, analysis_model, tasks_run_here,
                                                                  django_capture_on_commit_callbacks):
    import_now(owner, "r.csv", corpus_csv())
    run = failed_analysis(owner)
    api = owner.api()
    with django_capture_on_commit_callbacks(execute=True):  # the task runs here, once the retry committed
        response = api.post(f"/api/v1/jobs/{run.job_id}/retry")
        assert response.status_code == 202, response.content
        body = response.json()
        assert (body["id"], body["status"], body["error"], body["message"]) == (
            str(run.job_id), "queued", "", "Retrying.")
    job = api.get(f"/api/v1/jobs/{run.job_id}").json()
    assert job["status"] == "succeeded", job
    run.refresh_from_db()
    assert run.status == "succeeded" and run.version == 1 and run.insights.exists()
    assert analysis_model.calls > 0
    # finished: a second retry is refused
    again = api.post(f"/api/v1/jobs/{run.job_id}/retry")
    assert again.status_code == 409 and "succeeded" in again.json()["error"]


def test_the_job_page_shows_the_error_and_a_retry_button_that_posts_with_csrf(owner, make_member,
                                                                              django_capture_on_commit_callbacks):
    run = failed_analysis(owner)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner.user)
    page = browser.get(f"/jobs/{run.job_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "kept returning errors" in html and f'action="/jobs/{run.job_id}/retry/"' in html
    assert f'/jobs/{run.job_id}/retry/' in browser.get("/").content.decode()  # the dashboard's recent jobs too
    viewer = make_member("viewer")
    assert "/retry/" not in viewer.browser().get(f"/jobs/{run.job_id}/").content.decode()
    assert viewer.browser().post(f"/jobs/{run.job_id}/retry/").status_code == 403
    assert browser.post(f"/jobs/{run.job_id}/retry/").status_code == 403  # no CSRF token
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    with django_capture_on_commit_callbacks() as callbacks:
        response = browser.post(f"/jobs/{run.job_id}/retry/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == f"/jobs/{run.job_id}/"
    assert len(callbacks) == 1  # the task, published once the retry committed
    run.refresh_from_db()
    assert run.status == "queued" and run.job.status == "queued" and run.job.error == ""
    html = browser.get(f"/jobs/{run.job_id}/").content.decode()
    assert "queued again" in html and "/retry/" not in html


def test_retry_is_refused_unless_failed_retryable_allowed_and_in_this_workspace(owner, make_member):
    api = owner.api()
    done = jobs.create_job(owner.workspace, "reply_drafts")
    jobs.succeed(done.pk)
    response = api.post(f"/api/v1/jobs/{done.pk}/retry")
    assert response.status_code == 409 and "this one is succeeded" in response.json()["error"]
    bulk = failed_job(owner.workspace, "moderation_bulk")  # no resender: a bulk decision is taken anew
    response = api.post(f"/api/v1/jobs/{bulk.pk}/retry")
    assert response.status_code == 409 and "cannot be retried" in response.json()["error"]
    theirs = failed_job(make_member("owner", "Elsewhere").workspace)
    assert api.post(f"/api/v1/jobs/{theirs.pk}/retry").status_code == 404
    assert owner.browser().post(f"/jobs/{theirs.pk}/retry/").status_code == 404
    mine = failed_job(owner.workspace)
    viewer = make_member("viewer")
    response = viewer.api().post(f"/api/v1/jobs/{mine.pk}/retry")
    assert response.status_code == 403 and "viewer" in response.json()["error"]
    export = failed_job(owner.workspace, "export")  # an owner's kind: analysts may not retry it
    assert make_member("analyst").api().post(f"/api/v1/jobs/{export.pk}/retry").status_code == 403
    assert Job.objects.filter(pk__in=[bulk.pk, mine.pk, export.pk, theirs.pk], status="failed").count() == 4


def test_an_older_analysis_is_not_run_again_once_a_newer_one_exists(owner):
    old = failed_analysis(owner)
    insights.start_analysis(owner.ctx)
    response = owner.api().post(f"/api/v1/jobs/{old.job_id}/retry")
    assert response.status_code == 409 and "v2" in response.json()["error"]
    old.refresh_from_db()
    assert old.status == "failed"


def test_an_import_whose_file_was_discarded_cannot_be_retried(owner):
    text_import = start_import(owner.ctx, Upload("r.csv", CSV, {}))
    fail_import(text_import.pk, "The file could not be read.")
    response = owner.api().post(f"/api/v1/jobs/{text_import.job_id}/retry")
    assert response.status_code == 409 and "upload it again" in response.json()["error"]
    assert f"/jobs/{text_import.job_id}/retry/" not in owner.browser().get("/").content.decode()


def test_a_failed_copy_request_retried_ends_with_its_variants(owner, copy_model, tasks_run_here,
                                                               django_capture_on_commit_callbacks):
    import_now(owner, "r.csv", corpus_csv())
    request = copy.start_copy(owner.ctx, BRIEF)
    copy._fail(request, "The language model kept returning errors.")
    seed = CopyRequest.objects.get(pk=request.pk).seed
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.api().post(f"/api/v1/jobs/{request.job_id}/retry").status_code == 202
    request.refresh_from_db()
    assert request.status == "succeeded" and request.job.status == "succeeded", request.job.error
    assert request.variants.count() == 3 and request.seed != seed  # nothing was kept: new seeds


def test_each_kind_resets_its_rows_and_publishes_once(owner, django_capture_on_commit_callbacks):
    export = start_export(owner.ctx)
    retried = [export.job, failed_job(owner.workspace, "reply_drafts"), failed_job(owner.workspace, "translations"),
               failed_job(owner.workspace, "llm_batch")]
    jobs.fail(export.job_id, "The export stopped.")
    for job in retried:
        with django_capture_on_commit_callbacks() as callbacks:
            job = jobs.retry(owner.ctx, job)
        assert job.status == "queued" and job.message == "Retrying." and len(callbacks) == 1, job.kind


def test_an_unreachable_broker_fails_the_job_and_the_request_still_succeeds(owner, broker_down,
                                                                            django_capture_on_commit_callbacks):
    api = owner.api()
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        imported = api.post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", CSV)})
        analysed = api.post("/api/v1/analyses")
    assert imported.status_code == 202 and analysed.status_code == 202, (imported.content, analysed.content)
    job = Job.objects.get(pk=imported.json()["job_id"])
    assert job.status == "failed" and job.error == jobs.QUEUE_UNREACHABLE
    text_import = TextImport.objects.get(job=job)
    assert text_import.status == "pending" and bytes(text_import.payload)  # kept: it is what a retry reads
    run = AnalysisRun.objects.get(pk=analysed.json()["analysis_id"])
    assert run.status == "failed" and run.job.error == jobs.QUEUE_UNREACHABLE  # so it blocks no later run
    page = owner.browser().get(f"/jobs/{job.pk}/")
    assert page.status_code == 200 and b"task queue could not be reached" in page.content
    assert f'/jobs/{job.pk}/retry/'.encode() in page.content
    # Retrying while the broker is still down: answered, and the job says so again.
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/jobs/{job.pk}/retry").status_code == 202
        assert owner.browser().post(f"/jobs/{run.job_id}/retry/").status_code == 302
    for failed in (job, run.job):
        failed.refresh_from_db()
        assert failed.status == "failed" and failed.error == jobs.QUEUE_UNREACHABLE


def test_publish_on_commit_sends_nothing_more_for_a_job_that_already_failed(owner,
                                                                            django_capture_on_commit_callbacks):
    job = jobs.create_job(owner.workspace, "moderation")
    sent: list[int] = []

    def send() -> None:
        sent.append(1)
        raise BrokerError("Connection refused.")

    with django_capture_on_commit_callbacks(execute=True):
        jobs.publish_on_commit(job.pk, send)
        jobs.publish_on_commit(job.pk, send)  # a second batch of the same job
    assert sent == [1] and Job.objects.get(pk=job.pk).error == jobs.QUEUE_UNREACHABLE
    with pytest.raises(BrokerError), django_capture_on_commit_callbacks(execute=True):
        jobs.publish_on_commit(None, send)  # no job to fail: the caller hears of it
    assert BrokerError in TRANSIENT_ERRORS  # inside a task, a publish that failed is retried with backoff
