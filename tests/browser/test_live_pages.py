"""Issue #16, pages that do not update, in a real browser with the real worker: after an upload the dashboard's count,
"Latest texts", sentiment chart and jobs list change on the open page; Run analysis turns the Insights page's first
card into the run's progress (never "No analysis yet"), with the button disabled, and the card keeps asking while it
runs; a brief sent in the copy studio is listed in "Copy requests" at once. None of it reloads the page (a marker
set in the page survives). The model is taken away (the workers' proxy) so the analysis and the copy wait for it."""

import time

import pytest

from apps.accounts.services import ensure_member

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "live-pages-pass-123"
CSV = (
    "text,rating,date\n"
    "The battery drains overnight since the firmware update,1,2026-10-01\n"
    "Battery barely lasts an evening now,2,2026-10-02\n"
    "Shipping took three weeks and the box was crushed,2,2026-10-03\n"
    "\"Beautiful warm light, perfect for reading\",5,2026-10-04\n"
    "&lt;b&gt;Bold&lt;/b&gt; claim: the colour of the light is gorgeous,5,2026-10-05\n"
)
SAME_PAGE = "window.murmurSamePage === true"


def _mark_page(page) -> None:
    """A reload (or a navigation) would drop this; the checks below require it to be there still."""
    page.evaluate("window.murmurSamePage = true")


def test_dashboard_insights_and_copy_update_in_place(person, celery_worker, llm_proxy, tmp_path):
    ensure_member("live-owner", "Live Co", "owner", password=PASSWORD)
    page = person.page
    person.login("live-owner", PASSWORD)
    assert page.inner_text("#workspace-count .big") == "0"
    assert "No texts yet" in page.inner_text("#latest-texts")
    assert "No themes yet" in page.inner_text("#themes-empty")  # a sentence, not empty axes
    _mark_page(page)
    person.shot("1-dashboard-empty")

    # Upload: the count and Latest texts follow on the open page.
    upload = tmp_path / "reviews.csv"
    upload.write_text(CSV)
    page.set_input_files("#upload-file", str(upload))
    page.wait_for_selector("#upload-result .job[data-status=succeeded]", timeout=180_000)
    page.wait_for_function("() => document.querySelector('#workspace-count .big').textContent.trim() === '5'",
                           timeout=30_000)
    latest = page.inner_text("#latest-texts")
    assert "battery drains overnight" in latest and "Shipping took three weeks" in latest
    assert "<b>Bold</b> claim" in latest  # the importer unescapes it; the page shows it as text, not markup
    assert "No texts yet" not in latest
    # The sentiment chart is drawn from the new texts, and the Jobs list holds the import, on the same page.
    page.wait_for_function("() => Chart.getChart(document.getElementById('sentiment-chart'))", timeout=30_000)
    assert page.locator("#sentiment-empty").count() == 0
    assert page.locator("#jobs .job[data-status=succeeded]", has_text="import").count() == 1
    assert page.evaluate(SAME_PAGE)
    person.shot("2-dashboard-after-upload-no-reload")

    llm_proxy.down()  # the analysis and the copy wait for the model: what is shown is the waiting
    try:
        # Insights: Run analysis; the card shows the run and its progress, and keeps asking while it runs.
        person.go("/insights/")
        assert "No analysis yet" in page.inner_text("#analysis-live")
        _mark_page(page)
        person.shot("3-insights-before-the-first-run")
        asked = []
        page.on("request", lambda r: asked.append(r.url) if "/insights/live/" in r.url else None)
        page.click("#run-analysis")
        page.wait_for_selector("#analysis-live .analysis-running")
        card = page.inner_text("#analysis-live")
        assert "Analysis v1 is" in card and "No analysis yet" not in card
        assert "The first report appears here by itself when this analysis finishes." in card
        assert page.locator("#analysis-progress .job .progress").count() == 1
        assert page.locator("#run-analysis").is_disabled()
        looks = page.eval_on_selector("#run-analysis", "b => [getComputedStyle(b).cursor, getComputedStyle(b).color]")
        assert looks == ["not-allowed", "rgb(85, 94, 107)"], looks  # greyed out, not the primary button's white
        assert "v1" in page.inner_text("#analysis-runs")  # the list of versions follows too
        deadline = time.monotonic() + 15
        while len(asked) < 3 and time.monotonic() < deadline:
            page.wait_for_timeout(500)
        assert len(asked) >= 3, asked  # the click's request, then one every 2 s while the run is at work
        assert "Analysis v1 is" in page.inner_text("#analysis-live .analysis-running")
        assert page.evaluate(SAME_PAGE)
        person.shot("4-insights-running-no-reload")

        # Copy: a brief sent is listed at once, as queued or being written, not "No copy yet".
        person.go("/copy/")
        assert "No copy yet" in page.inner_text("#copy-requests")
        _mark_page(page)
        page.fill("#brief-form input[name=product]", "Lumen reading lamp")
        page.fill("#brief-form input[name=audience]", "people who read in bed")
        page.fill("#brief-form input[name=goal]", "pre-orders of the warm light model")
        page.click("#brief-form button[type=submit]")
        page.locator("#copy-requests td", has_text="Lumen reading lamp").wait_for()
        table = page.inner_text("#copy-requests")
        assert "No copy yet" not in table and ("queued" in table or "running" in table)
        page.wait_for_selector("#brief-progress .job .progress")  # the job's box, from the server's partial
        assert page.evaluate(SAME_PAGE)
        person.shot("5-copy-request-listed-no-reload")
    finally:
        llm_proxy.up()
