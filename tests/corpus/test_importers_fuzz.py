"""Property-based tests: whatever bytes arrive, an importer either returns rows or raises
ImportValidationError with a message — never another exception, never a row without text."""

import csv
import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.corpus.importers import ImportValidationError, parse_file

FORMATS = ["a.csv", "a.tsv", "a.json", "a.jsonl", "a.txt", "a.xlsx", "upload"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse(name: str, data: bytes):
    return parse_file(name, data, None, max_rows=500, max_text_chars=2000)


def check(name: str, data: bytes) -> None:
    try:
        parsed = parse(name, data)
    except ImportValidationError as exc:
        assert exc.message and isinstance(exc.details, list)
        return
    assert parsed.rows and all(r.text.strip() and len(r.text) <= 2000 for r in parsed.rows)
    assert all(r.rating is None or 1 <= r.rating <= 5 for r in parsed.rows)


@FUZZ
@given(name=st.sampled_from(FORMATS), data=st.binary(max_size=4000))
def test_random_bytes_never_crash(name, data):
    check(name, data)


@FUZZ
@given(name=st.sampled_from(FORMATS), text=st.text(max_size=3000),
       encoding=st.sampled_from(["utf-8", "utf-16", "gb18030", "latin-1", "utf-8-sig"]))
def test_random_text_in_any_encoding_never_crashes(name, text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    check(name, data)


cells = st.one_of(st.text(max_size=300), st.integers(-10, 10).map(str), st.just(""), st.just("=1+1"))


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=1, max_size=5), max_size=30),
       header=st.lists(st.sampled_from(["text", "rating", "date", "source", "author", "x", "text"]), min_size=1,
                       max_size=5), delimiter=st.sampled_from([",", ";", "\t", "|"]))
def test_malformed_csv_never_crashes(rows, header, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    check("a.csv", buffer.getvalue().encode())


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(value=json_values)
def test_any_json_shape_never_crashes(value):
    check("a.json", json.dumps(value).encode())
    check("a.jsonl", "\n".join(json.dumps(v) for v in (value if isinstance(value, list) else [value])).encode())


def refused(name: str, data: bytes, message: str, row_error: str | None = None) -> ImportValidationError:
    """The file is refused with `message` (and, when given, a row detail containing `row_error`): not accepted."""
    with pytest.raises(ImportValidationError) as refusal:
        parse(name, data)
    exc = refusal.value
    assert message in exc.message, exc.message
    if row_error is not None:
        assert any(row_error in d["error"] for d in exc.details), exc.details
    return exc


def accepted(name: str, data: bytes) -> list:
    """The file is read: its rows come back (a refusal fails the test with its message)."""
    try:
        parsed = parse(name, data)
    except ImportValidationError as exc:
        pytest.fail(f"{name} was refused: {exc.message} {exc.details[:3]}")
    check(name, data)
    return parsed.rows


def test_huge_field_and_many_rows_are_refused_cleanly():
    exc = refused("a.csv", b"text\n" + b"x" * 5_000_000 + b"\n", "no row is valid; nothing was imported",
                  "the text has 5000000 characters; the limit is 2000")
    assert [d["row"] for d in exc.details] == [2]
    refused("a.txt", b"line\n" * 10_000, "more than 500 rows; the limit is 500")
    refused("a.txt", b"line\n" * 501, "more than 500 rows; the limit is 500")  # one over the limit


def test_rows_at_the_limits_are_accepted():
    rows = accepted("a.csv", b"text\n" + b"x" * 2000 + b"\n")
    assert [len(r.text) for r in rows] == [2000]
    assert len(accepted("a.txt", b"line\n" * 500)) == 500


def test_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a spreadsheet")
    refused("a.xlsx", buffer.getvalue(), "This XLSX file could not be read")
