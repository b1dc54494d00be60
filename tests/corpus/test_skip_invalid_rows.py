"""Issue #16, uploads that forgive: "import the N valid rows, skip M" (the default stays all or nothing), the CSV
report of the skipped rows, the file's name in every upload error, the sample CSV, and a re-upload that adds
nothing starting no moderation job."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.corpus.importers import FIELDS, MAX_ROW_ERRORS, ImportValidationError, parse_file
from apps.corpus.models import CustomerText, ImportStatus, TextImport
from apps.corpus.services import (
    Upload,
    begin_import,
    process_import,
    skipped_rows_report,
    start_import,
    validate_upload,
)
from apps.jobs.models import Job
from tests.conftest import import_now

SAMPLE = Path(__file__).resolve().parents[2] / "static" / "samples" / "murmur-sample.csv"

MIXED = (
    "text,rating,author\n"
    "The lamp is bright and warm,5,Ann\n"
    ",2,Bo\n"                                   # row 3: blank text
    "Battery dies after two hours,abc,Cy\n"     # row 4: rating "abc"
    "灯光很柔和，很喜欢,5,王\n"
    "=HYPERLINK(\"http://evil\"),11,@Dee\n"     # row 6: rating 11, a formula in the cells
).encode()


def parse(data: bytes, **kwargs):
    return parse_file("reviews.csv", data, None, max_rows=1000, max_text_chars=500, **kwargs)


# --- the importer -------------------------------------------------------------------------------------------------

def test_a_bad_row_refuses_the_file_by_default_and_counts_valid_and_invalid_rows():
    with pytest.raises(ImportValidationError) as caught:
        parse(MIXED)
    error = caught.value
    assert (error.valid_rows, error.invalid_rows) == (2, 3)
    assert [d["row"] for d in error.details] == [3, 4, 6]
    assert "3 rows have problems; nothing was imported" in error.message
    assert "import the 2 valid rows and skip them" in error.message


def test_one_bad_row_is_one_row_in_the_message():
    with pytest.raises(ImportValidationError) as caught:
        parse(b"text,rating\nfine,5\n,2\n")
    assert caught.value.message.startswith("1 row has problems") and "skip it" in caught.value.message


def test_skip_invalid_keeps_valid_rows_and_lists_the_others_with_their_cells():
    parsed = parse(MIXED, skip_invalid=True)
    assert [r.text for r in parsed.rows] == ["The lamp is bright and warm", "灯光很柔和，很喜欢"]
    assert parsed.columns == ["text", "rating", "author"]
    assert [(s.number, s.cells) for s in parsed.skipped] == [
        (3, ["", "2", "Bo"]), (4, ["Battery dies after two hours", "abc", "Cy"]),
        (6, ['=HYPERLINK("http://evil")', "11", "@Dee"])]
    assert parsed.skipped[0].problem == "the text is empty" and "abc" in parsed.skipped[1].problem


def test_every_invalid_row_is_counted_beyond_the_listed_ones():
    data = ("text,rating\nok,5\n" + "".join(f"row {i},abc\n" for i in range(MAX_ROW_ERRORS + 10))).encode()
    with pytest.raises(ImportValidationError) as caught:
        parse(data)
    assert caught.value.invalid_rows == MAX_ROW_ERRORS + 10 and len(caught.value.details) == MAX_ROW_ERRORS
    assert len(parse(data, skip_invalid=True).skipped) == MAX_ROW_ERRORS + 10


def test_a_file_without_a_valid_row_is_refused_even_when_skipping():
    with pytest.raises(ImportValidationError) as caught:
        parse(b"text,rating\n,1\nx,abc\n", skip_invalid=True)
    assert "no row is valid" in caught.value.message and caught.value.valid_rows == 0


def test_skipped_json_rows_keep_every_key_as_a_column():
    parsed = parse_file("r.json", b'[{"text": "fine"}, {"text": "", "score": 3}]', None, max_rows=10,
                        max_text_chars=50, skip_invalid=True)
    assert parsed.columns == ["text", "score"] and parsed.skipped[0].cells == ["", "3"]


# --- the services ------------------------------------------------------------------------------------------------

def test_errors_name_the_file(owner):
    with pytest.raises(ImportValidationError) as caught:
        validate_upload(Upload("uploads/reviews.csv", MIXED, {}))
    assert caught.value.message.startswith("reviews.csv: 3 rows have problems")
    with pytest.raises(ImportValidationError) as caught:
        validate_upload(Upload("notes.csv", b"", {}))
    assert caught.value.message == "notes.csv: the file is empty."
    with pytest.raises(ImportValidationError) as caught:
        validate_upload(Upload("sheet.xlsx", b"PK\x03\x04garbage", {}))
    assert caught.value.message.startswith("sheet.xlsx: this is not a valid XLSX file")


def test_skipping_imports_exactly_the_valid_rows(owner):
    started = begin_import(owner.ctx, Upload("reviews.csv", MIXED, {}, skip_invalid_rows=True))
    assert started.text_import.rows_total == 2 and [s.number for s in started.skipped] == [3, 4, 6]
    process_import(started.text_import.pk)
    texts = CustomerText.objects.filter(workspace=owner.workspace, is_live=True)
    assert sorted(t.original_text for t in texts) == sorted(["The lamp is bright and warm", "灯光很柔和，很喜欢"])
    text_import = TextImport.objects.get(pk=started.text_import.pk)
    assert (text_import.status, text_import.rows_new, text_import.rows_duplicate) == (ImportStatus.COMMITTED, 2, 0)


def test_default_upload_with_a_bad_row_writes_nothing(owner):
    with pytest.raises(ImportValidationError):
        start_import(owner.ctx, Upload("reviews.csv", MIXED, {}))
    assert not TextImport.objects.exists() and not Job.objects.exists() and not CustomerText.objects.exists()


def test_a_file_that_reads_differently_in_the_worker_stores_nothing(owner, settings):
    """The import stores every valid row it said it would, or nothing: never a part of them."""
    text_import = start_import(owner.ctx, Upload("reviews.csv", b"text\nshort\na longer text here\n", {}))
    settings.MURMUR_MAX_TEXT_CHARS = 10  # the limit changed between the request and the worker
    process_import(text_import.pk)
    text_import.refresh_from_db()
    job = Job.objects.get(pk=text_import.job_id)
    assert text_import.status == ImportStatus.FAILED and not CustomerText.objects.exists()
    assert job.status == "failed" and job.error.startswith("reviews.csv: the file now reads as 1 valid rows")


def test_skipped_rows_report_is_csv_with_row_problem_and_escaped_cells(owner):
    report = skipped_rows_report(owner.ctx, Upload("reviews.csv", MIXED, {}))
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[0] == ["row", "problem", "text", "rating", "author"]
    assert [r[0] for r in rows[1:]] == ["3", "4", "6"]
    assert rows[1][1] == "the text is empty" and rows[2][2:] == ["Battery dies after two hours", "abc", "Cy"]
    assert rows[3][2] == "'=HYPERLINK(\"http://evil\")" and rows[3][4] == "'@Dee"  # csv_safe: never a formula
    assert not TextImport.objects.exists() and not CustomerText.objects.exists()  # the report writes nothing


def test_skipped_rows_report_needs_the_import_role(make_member):
    from apps.accounts.context import PermissionDenied

    with pytest.raises(PermissionDenied):
        skipped_rows_report(make_member("viewer").ctx, Upload("reviews.csv", MIXED, {}))


def test_a_reupload_that_adds_nothing_starts_no_moderation_job(owner, django_capture_on_commit_callbacks):
    data = b"text,rating\nBright and warm,5\nToo dim,2\n"
    import_now(owner, "reviews.csv", data)
    again = start_import(owner.ctx, Upload("reviews.csv", data, {}))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        process_import(again.pk)
    assert callbacks == []  # texts_committed is not sent: no embedding, no "0 texts moderated" job
    assert not Job.objects.filter(workspace=owner.workspace, kind="moderation").exists()
    job = Job.objects.get(pk=again.job_id)
    assert job.status == "succeeded" and job.message == "Nothing new: all 2 texts were already imported."
    assert job.result["imported"] == 0 and job.result["duplicates"] == 2 and job.done == job.total == 2


def test_a_new_import_still_announces_its_texts(owner, django_capture_on_commit_callbacks):
    text_import = start_import(owner.ctx, Upload("reviews.csv", b"text\nBrand new words\n", {}))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        process_import(text_import.pk)
    assert len(callbacks) == 1


# --- the API ------------------------------------------------------------------------------------------------------

def test_api_refuses_a_bad_row_by_default_with_counts_and_the_file_name(owner):
    response = owner.api().post("/api/v1/imports", {"file": SimpleUploadedFile("reviews.csv", MIXED)})
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("reviews.csv: 3 rows have problems; nothing was imported")
    assert (body["valid_rows"], body["invalid_rows"]) == (2, 3) and [d["row"] for d in body["details"]] == [3, 4, 6]


def test_api_skip_invalid_rows_imports_the_valid_ones(owner):
    response = owner.api().post("/api/v1/imports", {"file": SimpleUploadedFile("reviews.csv", MIXED),
                                                    "skip_invalid_rows": "true"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["rows"] == 2 and body["skipped"] == 3
    assert body["skipped_rows"][0] == {"row": 3, "error": "the text is empty"}
    assert TextImport.objects.get().rows_total == 2


def test_api_skipped_rows_report_downloads_csv(owner):
    response = owner.api().post("/api/v1/imports/skipped-rows", {"file": SimpleUploadedFile("reviews.csv", MIXED)})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="reviews-skipped-rows.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "row,problem,text,rating,author" and "'=HYPERLINK" in text
    bad = owner.api().post("/api/v1/imports/skipped-rows", {"file": SimpleUploadedFile("notes.csv", b"")})
    assert bad.status_code == 400 and bad.json()["error"] == "notes.csv: the file is empty."


def test_api_skipped_rows_report_is_for_importers_only(make_member):
    viewer = make_member("viewer")
    response = viewer.api().post("/api/v1/imports/skipped-rows", {"file": SimpleUploadedFile("r.csv", MIXED)})
    assert response.status_code == 403


# --- the sample CSV ----------------------------------------------------------------------------------------------

def test_sample_csv_uses_every_column_the_importer_knows_in_english_and_chinese():
    parsed = parse_file(SAMPLE.name, SAMPLE.read_bytes(), None, max_rows=100, max_text_chars=5000)
    assert set(parsed.mapping) == set(FIELDS) and not parsed.skipped and len(parsed.rows) >= 4
    assert {r.language for r in parsed.rows} == {"en", "zh"}
    assert all(r.rating and r.posted_at for r in parsed.rows)


def test_upload_form_links_the_sample_and_offers_skipping(owner):
    page = owner.browser().get("/").content.decode()
    assert "samples/murmur-sample.csv" in page and 'id="upload-skip-invalid"' in page
