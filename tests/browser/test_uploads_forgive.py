"""Issue #16, uploads that forgive, in a real browser: the sample CSV downloads from the upload form; a file with
bad rows is refused with the file's name on every line, and choosing it again sends it again; "Import the N valid
rows, skip M" imports the rest, the skipped rows download as a CSV report, and the progress line agrees with the
row count; the same file again says "nothing new" and starts no moderation job."""

import csv
import io
from pathlib import Path

import pytest

from apps.accounts.services import ensure_member
from apps.jobs.models import Job

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "forgive-pass-123"
MIXED = (
    "text,rating,date,author\n"
    "The lamp is bright and warm,5,2026-10-01,Ann\n"
    ",2,2026-10-02,Bo\n"
    "灯光很柔和，很喜欢,5,2026-10-03,王\n"
    "=SUM(1+1) battery dies fast,abc,2026-10-04,Cy\n"
)


@pytest.fixture
def owner(db):
    return ensure_member("forgive-owner", "Forgiving Co", "owner", password=PASSWORD)


def _expected_400s(person, count: int) -> None:
    for _ in range(count):
        person.errors.remove(next(e for e in person.errors if e.startswith("HTTP 400 POST")))


def test_skip_invalid_rows_report_and_sample(person, celery_worker, owner, tmp_path):
    page = person.page
    person.login("forgive-owner", PASSWORD)

    # The sample CSV: a link on the upload form, with every column the importer knows, in English and Chinese.
    with page.expect_download() as sample:
        page.click("#upload-sample")
    assert sample.value.suggested_filename == "murmur-sample.csv"
    sample_text = Path(sample.value.path()).read_text(encoding="utf-8")
    assert sample_text.startswith("text,rating,date,source,author,product,language") and "灯光很柔和" in sample_text

    # By default a bad row refuses the file; every line names it; the offer to skip them comes with it.
    upload = tmp_path / "mixed.csv"
    upload.write_text(MIXED, encoding="utf-8")
    page.set_input_files("#upload-file", str(upload))
    page.wait_for_selector("#upload-result .error")
    text = page.inner_text("#upload-result")
    assert "mixed.csv: 2 rows have problems; nothing was imported" in text
    assert "mixed.csv: row 3: the text is empty" in text and "mixed.csv: row 5: rating 'abc'" in text
    person.shot("1-bad-rows-refused")

    # Choosing the same file again sends it again (the input was reset), and the old error is replaced.
    page.evaluate("() => { document.querySelector('#upload-result').dataset.stale = 'yes'; "
                  "document.querySelector('#upload-result .error').dataset.stale = 'yes'; }")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/imports") and r.request.method == "POST") as again:
        page.set_input_files("#upload-file", str(upload))
    assert again.value.status == 400
    page.wait_for_selector("#upload-result .error:not([data-stale])")
    assert page.locator("#upload-result .error[data-stale]").count() == 0
    _expected_400s(person, 2)

    # Import the 2 valid rows, skip 2.
    button = page.locator("#upload-skip-retry")
    assert button.inner_text() == "Import the 2 valid rows, skip 2"
    button.click()
    page.wait_for_selector("#upload-accepted")
    assert page.inner_text("#upload-accepted") == "mixed.csv: 2 rows accepted, 2 rows with problems skipped."
    assert "mixed.csv: row 3: the text is empty" in page.inner_text("#upload-result .skipped-rows")

    # The report of the skipped rows: row, problem, the raw cells, formulas escaped.
    with page.expect_download() as report:
        page.click("#upload-skipped-report")
    assert report.value.suggested_filename == "mixed-skipped-rows.csv"
    rows = list(csv.reader(io.StringIO(Path(report.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["row", "problem", "text", "rating", "date", "author"]
    assert [r[0] for r in rows[1:]] == ["3", "5"] and rows[1][1] == "the text is empty"
    assert rows[2][2] == "'=SUM(1+1) battery dies fast" and rows[2][3] == "abc"

    # The progress line agrees with the rows: no "(4/4)" step counts beside "2 rows".
    page.wait_for_selector("#upload-result .job:is([data-status=succeeded], [data-status=failed])", timeout=420_000)
    message = page.inner_text("#upload-result .job .job-message")
    assert page.get_attribute("#upload-result .job", "data-status") == "succeeded", message
    assert message == "Imported 2 new texts (0 already present).", message
    person.shot("2-valid-rows-imported-skipped-listed")

    # The same file again, skipping the bad rows: nothing new, and no "0 texts moderated" job.
    page.check("#upload-skip-invalid")
    page.set_input_files("#upload-file", str(upload))
    page.wait_for_selector("#upload-result .job[data-status=succeeded]", timeout=60_000)
    assert page.inner_text("#upload-result .job .job-message") == "Nothing new: all 2 texts were already imported."
    assert Job.objects.filter(workspace=owner.workspace, kind="moderation").count() <= 1
    person.go("/")
    assert "0 texts moderated" not in page.inner_text("#jobs")
    person.shot("3-reupload-nothing-new")
