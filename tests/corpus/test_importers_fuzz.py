"""Property-based tests: whatever bytes arrive, an importer either returns rows or raises
ImportValidationError with a message — never another exception, never a row without text."""

import csv
import io
import json
import zipfile

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


def test_huge_field_and_many_rows_are_refused_cleanly():
    check("a.csv", b"text\n" + b"x" * 5_000_000 + b"\n")
    check("a.txt", b"line\n" * 10_000)


def test_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a spreadsheet")
    check("a.xlsx", buffer.getvalue())
