"""Bounded work per upload (issue #15), through the real import API: the role and the size are checked before
the file is read, rows stop at max_rows + 1, delimiter detection reads the header line only, and XLSX cells
are bounded."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from django.core.files import utils as file_utils
from openpyxl import Workbook

from apps.corpus import importers
from apps.corpus.importers import readers
from apps.corpus.models import CustomerText, TextImport
from tests.timing import cpu_seconds


@pytest.fixture
def file_reads(monkeypatch) -> list[str]:
    """Names of uploaded files whose content the request read (UploadedFile.read is FileProxyMixin.read)."""
    reads: list[str] = []
    original = file_utils.FileProxyMixin.read

    def spy(self):
        reads.append(self.name)
        return original.fget(self)

    monkeypatch.setattr(file_utils.FileProxyMixin, "read", property(spy))
    return reads


def _post(member, name: str, data: bytes):
    # A BytesIO, not an UploadedFile: the test client's own read of it must not count as the server's.
    upload = io.BytesIO(data)
    upload.name = name
    return member.api().post("/api/v1/imports", {"file": upload})


def test_viewer_is_refused_before_the_file_is_read(make_member, file_reads):
    viewer = make_member("viewer")
    response = _post(viewer, "r.csv", b"text\nhello\n")
    assert response.status_code == 403
    assert file_reads == [] and TextImport.objects.count() == 0


def test_oversized_file_is_refused_before_it_is_read(owner, settings, file_reads):
    settings.MURMUR_MAX_UPLOAD_BYTES = 100_000
    # Within the declared-length allowance for multipart overhead, so the file's own size is what refuses it.
    response = _post(owner, "r.csv", b"text\n" + b"a long enough line\n" * 6_300)
    assert response.status_code == 400
    assert "limit is 0.1 MB" in response.json()["error"]
    assert file_reads == [] and TextImport.objects.count() == 0


def test_declared_length_over_the_limit_is_refused_before_the_body_is_parsed(owner, settings, monkeypatch):
    from django.http import request as http_request

    parsed: list[bool] = []
    original = http_request.HttpRequest._load_post_and_files
    monkeypatch.setattr(http_request.HttpRequest, "_load_post_and_files",
                        lambda self: (parsed.append(True), original(self))[1])
    settings.MURMUR_MAX_UPLOAD_BYTES = 1_000
    response = _post(owner, "r.csv", b"text\n" + b"x" * 200_000)
    assert response.status_code == 400 and "limit" in response.json()["error"]
    assert parsed == []


def test_a_file_within_the_limit_is_read_once_and_imported(owner, file_reads, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = _post(owner, "r.csv", b"text\nhello there\n")
    assert response.status_code == 202, response.content
    assert file_reads == ["r.csv"]


def test_quote_lines_answer_fast_without_sniffing(owner):
    """The issue's reproduction: `text` then 10,000 lines of `"` took ~17 s in csv.Sniffer."""
    data = b"text\n" + b'"\n' * 10_000
    responses = []
    elapsed = cpu_seconds(lambda: responses.append(_post(owner, "r.csv", data)))
    response = responses[0]
    assert response.status_code == 400 and response.json()["error"] == "r.csv: the file contains no texts."
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert TextImport.objects.count() == 0


@pytest.mark.parametrize(("header", "delimiter"), [
    ("text,rating", ","), ("text;rating", ";"), ("text\trating", "\t"), ("text|rating", "|"),
    ('"a;b",rating', ","), ("text", ","),
])
def test_delimiter_comes_from_the_header_line(header, delimiter):
    assert importers.detect_delimiter(f"{header}\nx;y;z|1,2\n") == delimiter


def test_semicolon_file_still_imports(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = _post(owner, "r.csv", b"Review;Stars\nGreat lamp, bright;5\nToo dim;2\n")
    assert response.status_code == 202, response.content
    assert response.json()["rows"] == 2


def test_rows_stop_at_the_limit_plus_one(owner, settings):
    """The issue's 4 MB of short lines: previously every row was built before the count (425 MB, 4 s)."""
    settings.MURMUR_MAX_IMPORT_ROWS = 1_000
    data = b"text\n" + b"a\n" * 2_000_000
    tracemalloc.start()
    try:
        response = _post(owner, "r.csv", data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert response.json()["error"] == "r.csv: the file has more than 1000 rows; the limit is 1000. Split it."
    # The upload itself (4 MB as bytes, then as text) is the floor; rows for two million lines would be gigabytes.
    assert peak < 60 * 2**20, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("name", ["r.csv", "r.txt", "r.jsonl", "r.json"])
def test_every_text_format_stops_counting_at_the_limit(name):
    lines = 5_000
    data = {"r.csv": b"text\n" + b"a\n" * lines, "r.txt": b"a\n" * lines, "r.jsonl": b'"a"\n' * lines,
            "r.json": b"[" + b'"a",' * (lines - 1) + b'"a"]'}[name]
    with pytest.raises(importers.ImportValidationError, match="more than 100 rows"):
        importers.parse_file(name, data, None, max_rows=100, max_text_chars=100)
    assert len(importers.parse_file(name, data, None, max_rows=lines, max_text_chars=100).rows) == lines


def test_streamed_json_array_keeps_json_errors_and_refuses_deep_nesting():
    with pytest.raises(importers.ImportValidationError, match="line 1, column 6"):
        importers.parse_file("r.json", b'["a" "b"]', None, max_rows=10, max_text_chars=100)
    with pytest.raises(importers.ImportValidationError, match="Extra data"):
        importers.parse_file("r.json", b'["a"] x', None, max_rows=10, max_text_chars=100)
    with pytest.raises(importers.ImportValidationError, match="nested too deeply"):
        importers.parse_file("r.json", b"[" * 100_000, None, max_rows=10, max_text_chars=100)
    assert [r.text for r in importers.parse_file("r.json", b' [ "a" , {"text": "b"} ] ', None, max_rows=10,
                                                 max_text_chars=100).rows] == ["a", "b"]


def _workbook(rows: int, columns: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["text", *(f"n{i}" for i in range(columns - 1))])
    for r in range(rows):
        sheet.append([f"text {r}", *range(columns - 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_cells_are_bounded(owner, monkeypatch):
    """The issue's workbook of 300k number cells passed the zip-bomb check and cost 158 MB."""
    monkeypatch.setattr(readers, "XLSX_MAX_CELLS", 20_000)
    response = _post(owner, "r.xlsx", _workbook(rows=30_000, columns=10))
    assert response.status_code == 400
    assert "more than 20,000 cells (10 columns)" in response.json()["error"]
    assert TextImport.objects.count() == 0 and CustomerText.objects.count() == 0


def test_xlsx_rows_stop_at_the_limit_plus_one(owner, settings):
    settings.MURMUR_MAX_IMPORT_ROWS = 100
    response = _post(owner, "r.xlsx", _workbook(rows=5_000, columns=2))
    assert response.status_code == 400 and "more than 100 rows" in response.json()["error"]


def test_xlsx_columns_beyond_the_bound_are_not_read():
    data = _workbook(rows=2, columns=readers.XLSX_MAX_COLUMNS + 20)
    records, columns = readers._xlsx_records(data)
    assert len(columns) == readers.XLSX_MAX_COLUMNS
    assert all(len(record) == readers.XLSX_MAX_COLUMNS for record in records)
    parsed = importers.parse_file("r.xlsx", data, None, max_rows=10, max_text_chars=100)
    assert [r.text for r in parsed.rows] == ["text 0", "text 1"]
