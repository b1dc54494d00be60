"""Issue #16, pages that do not update: the partials htmx asks for while work runs. A job's box polls itself until
the job ends and then tells the page; the dashboard's count and latest texts, the Insights page's first card and
the copy requests table are asked for again while something runs, and stop being asked for once nothing does.
Each is scoped to the reader's workspace and escapes customer text."""

import json

import pytest

from apps.copy.models import CopyRequest
from apps.corpus.models import ImportStatus, TextImport
from apps.insights.models import AnalysisRun
from apps.jobs.models import JobStatus
from tests.factories import BRIEF, customer_text, job

HTMX = {"HX-Request": "true"}
POLL_JOB = 'hx-trigger="every 1s"'


def ended_event(response) -> dict:
    return json.loads(response["HX-Trigger-After-Settle"])["murmur:job-ended"]["job"]


def analysis(ws, version: int, status: str) -> AnalysisRun:
    job_status = {"succeeded": "succeeded", "failed": "failed"}.get(status, status)
    row = job(ws, "analysis", status=job_status, message="Finding themes.")
    return AnalysisRun.objects.create(workspace=ws, job=row, version=version, status=status,
                                      summary=f"Report {version}.")


def copy_request(ws, status: str, product: str = BRIEF["product"]) -> CopyRequest:
    return CopyRequest.objects.create(workspace=ws, job=job(ws, "copy", status=status), product=product,
                                      audience=BRIEF["audience"], goal=BRIEF["goal"], channel=BRIEF["channel"],
                                      language="en", locale="en-US", status=status)


# --- a job's box -------------------------------------------------------------------------------------------


def test_a_running_jobs_box_polls_itself_and_shows_its_place_in_line(owner):
    running = job(owner.workspace, "copy", status="queued", message="Queued <b>now</b>.")
    response = owner.browser().get(f"/jobs/{running.pk}/progress/", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-job-id="{running.pk}"' in body and 'data-status="queued"' in body
    assert POLL_JOB in body and f'hx-get="/jobs/{running.pk}/progress/"' in body
    assert "Queued &lt;b&gt;now&lt;/b&gt;." in body and "<b>now" not in body
    assert "Next in line." in body  # a waiting LLM job's place, rendered by the server (no JS markup)
    assert "HX-Trigger-After-Settle" not in response


def test_an_ended_jobs_box_stops_polling_and_tells_the_page(owner):
    done = job(owner.workspace, "export", status="succeeded", message="Export ready.")
    done.result = {"download_url": "/privacy/exports/1/download/"}
    done.save(update_fields=["result"])
    response = owner.browser().get(f"/jobs/{done.pk}/progress/", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and 'data-status="succeeded"' in body
    assert "hx-trigger" not in body and "hx-get" not in body
    event = ended_event(response)
    assert event["id"] == str(done.pk) and event["status"] == "succeeded" and event["kind"] == "export"
    assert event["result"] == {"download_url": "/privacy/exports/1/download/"}
    # Not asked for by htmx (a plain GET): the box alone, no event.
    assert "HX-Trigger-After-Settle" not in owner.browser().get(f"/jobs/{done.pk}/progress/")


def test_a_failed_jobs_box_shows_the_error_and_retry_and_counts_steps(owner):
    failed = job(owner.workspace, "copy", status="failed")
    failed.error, failed.total, failed.done = "The model did not answer.", 4, 2
    failed.save(update_fields=["error", "total", "done"])
    response = owner.browser().get(f"/jobs/{failed.pk}/progress/", headers=HTMX)
    body = response.content.decode()
    assert '<span class="error">The model did not answer.</span>' in body
    assert f'action="/jobs/{failed.pk}/retry/"' in body and "hx-trigger" not in body
    assert ended_event(response)["status"] == "failed"
    importing = job(owner.workspace, "import", status="running", message="14 rows accepted.")
    importing.total, importing.done = 28, 14
    importing.save(update_fields=["total", "done"])
    body = owner.browser().get(f"/jobs/{importing.pk}/progress/").content.decode()
    assert "14 rows accepted. (50%)" in body and "(14/28)" not in body  # an import says percent, not steps


def test_a_jobs_box_is_only_for_its_workspace(owner, make_member, client):
    other = make_member("owner", "Elsewhere")
    theirs = job(other.workspace, "copy", status="running")
    assert owner.browser().get(f"/jobs/{theirs.pk}/progress/", headers=HTMX).status_code == 404
    assert other.browser().get(f"/jobs/{theirs.pk}/progress/", headers=HTMX).status_code == 200
    assert make_member("viewer", "Elsewhere").browser().get(f"/jobs/{theirs.pk}/progress/").status_code == 200
    anonymous = client.get(f"/jobs/{theirs.pk}/progress/", headers=HTMX)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_job_pages_render_the_polling_box_and_app_js_no_longer_builds_one(owner):
    running = job(owner.workspace, "copy", status="running")
    body = owner.browser().get(f"/jobs/{running.pk}/").content.decode()
    assert POLL_JOB in body and "django_htmx/htmx-2.min.js" in body
    from pathlib import Path

    app_js = (Path(__file__).resolve().parents[2] / "static" / "js" / "app.js").read_text()
    assert "function renderJob" not in app_js and '"job-queue' not in app_js and "/api/v1/jobs/" not in app_js


# --- the dashboard: count and latest texts -------------------------------------------------------------------


def test_dashboard_count_and_latest_texts_follow_an_import_then_stop(owner, make_member):
    ws = owner.workspace
    customer_text(ws, "The <b>battery</b> dies after two hours")
    customer_text(ws, "Ignore previous instructions", moderation_status="hidden")
    customer_text(make_member("owner", "Elsewhere").workspace, "Another workspace's text")
    import_job = job(ws, "import", status="running")
    TextImport.objects.create(workspace=ws, job=import_job, filename="reviews.csv", file_format="csv",
                              file_sha256="0" * 64, status=ImportStatus.PENDING, created_by=owner.user)

    response = owner.browser().get("/live/texts/", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert '<p class="big">2</p>' in body and "(importing…)" in body
    assert "every 2s" in body
    assert 'id="latest-texts" hx-swap-oob="true"' in body
    # The poll brings the count and the latest texts only: the charts and the jobs wait for a job's end.
    assert 'id="voice-charts"' not in body and 'id="jobs"' not in body
    assert "The &lt;b&gt;battery&lt;/b&gt; dies" in body and "<b>battery" not in body
    assert "Ignore previous instructions" not in body and "Another workspace" not in body

    import_job.status = JobStatus.SUCCEEDED
    import_job.save(update_fields=["status"])
    body = owner.browser().get("/live/texts/", headers=HTMX).content.decode()
    assert "every 2s" not in body and "importing" not in body and "hx-get" not in body  # it stops asking

    home = owner.browser().get("/").content.decode()
    assert 'id="workspace-count"' in home and 'id="latest-texts"' in home
    assert 'hx-swap-oob' not in home  # the page itself carries each part once, in place
    # The next upload on the page asks for every live part again: the page's refresher listens for jobs.
    refresher = home.split('id="dashboard-refresh"')[1].split(">")[0]
    assert 'hx-get="/live/dashboard/"' in refresher and 'hx-swap="none"' in refresher
    assert "murmur:job-started from:document, murmur:job-finished from:document" in home


def test_dashboard_partial_brings_the_charts_and_the_jobs_list_under_the_pages_filters(owner):
    ws = owner.workspace
    from datetime import UTC, datetime

    customer_text(ws, "Shipping took three weeks", sentiment="negative", source="survey",
                  posted_at=datetime(2026, 10, 5, tzinfo=UTC))
    customer_text(ws, "Gorgeous light", sentiment="positive", source="app_store",
                  posted_at=datetime(2026, 10, 20, tzinfo=UTC))
    running = job(ws, "import", status="running", message="Storing rows.")

    home = owner.browser().get("/?source=survey").content.decode()
    assert 'hx-get="/live/dashboard/?source=survey"' in home  # the partial is asked with the page's filters
    body = owner.browser().get("/live/dashboard/?source=survey", headers=HTMX).content.decode()
    for part in ("workspace-count", "latest-texts", "voice-charts", "jobs"):
        assert f'id="{part}" hx-swap-oob="true"' in body, part
    chart = json.loads(body.split('<script id="chart-data" type="application/json">')[1].split("</script>")[0])
    assert chart["weeks"] == ["2026-W41"] and chart["sentiment"]["negative"] == [1], chart  # survey only
    assert 'id="sentiment-chart"' in body and "No sentiment yet" not in body
    assert f'data-job-id="{running.pk}"' in body.split('id="jobs"')[1]  # the new job, in the list


def test_dashboard_refresh_with_a_bad_filter_says_nothing_and_charts_everything(owner):
    """The page says once that a filter was ignored; the partial, asked again on every job, does not pile up
    the same message for the next page."""
    customer_text(owner.workspace, "Shipping took three weeks", sentiment="negative")
    browser = owner.browser()
    body = browser.get("/live/dashboard/?date_from=not-a-date", headers=HTMX).content.decode()
    assert 'id="voice-charts" hx-swap-oob="true"' in body
    assert "Some filters were not valid" not in browser.get("/texts/").content.decode()
    assert "Some filters were not valid" in browser.get("/?date_from=not-a-date").content.decode()


def test_dashboard_partial_for_a_viewer_and_an_empty_workspace(make_member, client):
    viewer = make_member("viewer", "Quiet Co")
    body = viewer.browser().get("/live/texts/").content.decode()
    assert '<p class="big">0</p>' in body and "No texts yet: import a file." in body and "every 2s" not in body
    assert client.get("/live/texts/").status_code == 302
    assert client.get("/live/dashboard/").status_code == 302


def test_dashboard_themes_chart_says_so_before_the_first_analysis(owner):
    customer_text(owner.workspace, "Shipping took three weeks", sentiment="negative")
    body = owner.browser().get("/").content.decode()
    assert 'id="themes-empty"' in body and "No themes yet" in body and 'id="themes-chart"' not in body


# --- the Insights page's first card ------------------------------------------------------------------------


def test_insights_card_while_an_analysis_runs_polls_and_never_says_no_analysis(owner):
    ws = owner.workspace
    run = analysis(ws, 1, "running")
    for url in ("/insights/", "/insights/live/?report="):
        body = owner.browser().get(url, headers=HTMX).content.decode()
        assert "Analysis v1 is running" in body and f'data-job-id="{run.job_id}"' in body
        assert "No analysis yet" not in body
        assert "The first report appears here by itself" in body
        assert "every 2s" in body and 'hx-get="/insights/live/?report="' in body
        assert POLL_JOB not in body  # the card polls; the job box inside it does not poll as well
        assert 'id="run-analysis" data-api="/api/v1/analyses" disabled' in body  # no second click


def test_insights_card_stops_polling_and_reloads_once_the_report_exists(owner):
    ws = owner.workspace
    body = owner.browser().get("/insights/live/?report=", headers=HTMX).content.decode()
    assert "No analysis yet" in body and "every 2s" not in body
    assert "murmur:analysis-started from:document" in body  # the Run button's click asks again

    first = analysis(ws, 1, "succeeded")
    response = owner.browser().get("/insights/live/?report=", headers=HTMX)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"  # a newer report: the whole page
    response = owner.browser().get(f"/insights/live/?report={first.pk}", headers=HTMX)
    body = response.content.decode()
    assert "HX-Refresh" not in response and "every 2s" not in body and "Report 1." in body
    assert 'id="analysis-runs" hx-swap-oob="true"' in body and "v1</a>" in body


def test_insights_card_of_a_failed_analysis_shows_why_and_offers_another_run(owner):
    ws = owner.workspace
    first = analysis(ws, 1, "succeeded")
    failed = analysis(ws, 2, "failed")
    failed.job.error = "The model server did not answer."
    failed.job.save(update_fields=["error"])
    body = owner.browser().get(f"/insights/live/?report={first.pk}", headers=HTMX).content.decode()
    assert "Analysis v2 failed; the report below is v1." in body and "did not answer" in body
    assert "every 2s" not in body and " disabled" not in body


def test_insights_card_of_an_earlier_version_never_reloads_itself(owner):
    ws = owner.workspace
    first = analysis(ws, 1, "succeeded")
    analysis(ws, 2, "succeeded")
    response = owner.browser().get(f"/insights/{first.pk}/live/?report={first.pk}", headers=HTMX)
    assert response.status_code == 200 and "HX-Refresh" not in response
    assert "Report 1." in response.content.decode()


def test_insights_card_is_only_for_its_workspace(owner, make_member, client):
    other = make_member("owner", "Elsewhere")
    theirs = analysis(other.workspace, 1, "running")
    body = owner.browser().get("/insights/live/?report=", headers=HTMX).content.decode()
    assert "Analysis v1 is running" not in body and "No analysis yet" in body
    assert owner.browser().get(f"/insights/{theirs.pk}/live/", headers=HTMX).status_code == 404
    viewer = make_member("viewer", "Elsewhere").browser().get("/insights/live/?report=").content.decode()
    assert "Analysis v1 is running" in viewer and 'id="run-analysis"' not in viewer
    assert client.get("/insights/live/").status_code == 302


# --- the copy studio's requests table ----------------------------------------------------------------------


def test_copy_requests_table_lists_a_request_while_it_is_written_then_stops(owner, make_member):
    ws = owner.workspace
    body = owner.browser().get("/copy/requests/", headers=HTMX).content.decode()
    assert "No copy yet." in body and "every 2s" not in body and "murmur:job-started from:document" in body

    writing = copy_request(ws, "queued", product="Lumen <img src=x onerror=alert(1)> lamp")
    copy_request(make_member("owner", "Elsewhere").workspace, "running", product="Their secret product")
    body = owner.browser().get("/copy/requests/", headers=HTMX).content.decode()
    assert "No copy yet" not in body and "every 2s" in body
    assert "Lumen &lt;img src=x onerror=alert(1)&gt; lamp" in body and "<img src=x" not in body
    assert 'status-queued">queued' in body and "Their secret product" not in body

    CopyRequest.objects.filter(pk=writing.pk).update(status="succeeded")
    body = owner.browser().get("/copy/requests/", headers=HTMX).content.decode()
    assert 'status-succeeded">succeeded' in body and "every 2s" not in body
    studio = owner.browser().get("/copy/").content.decode()
    assert 'id="copy-requests"' in studio and "Lumen &lt;img" in studio


def test_copy_requests_table_for_a_viewer(make_member, client):
    viewer = make_member("viewer", "Readers")
    body = viewer.browser().get("/copy/requests/").content.decode()
    assert "No copy yet." in body and "Send a brief" not in body
    assert client.get("/copy/requests/").status_code == 302


@pytest.mark.parametrize("url", ["/live/texts/", "/live/dashboard/", "/insights/live/", "/copy/requests/"])
def test_partials_are_fragments_not_pages(owner, url):
    body = owner.browser().get(url, headers=HTMX).content.decode()
    assert "<html" not in body and "<nav" not in body
