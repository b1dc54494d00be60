import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from apps.corpus.importers import ImportValidationError, parse_file


def parse(name: str, data: bytes, mapping=None):
    return parse_file(name, data, mapping, max_rows=1000, max_text_chars=500)


def test_csv_with_bom_semicolon_and_mapping_guess():
    data = "\ufeffReview;Stars;Date;Channel\nGreat lamp;5;2026-01-02;app_store\nToo dim;2;2026-01-03;survey\n"
    parsed = parse("r.csv", data.encode("utf-8"))
    assert parsed.mapping["text"] == "Review" and parsed.mapping["rating"] == "Stars"
    assert [r.text for r in parsed.rows] == ["Great lamp", "Too dim"]
    assert parsed.rows[0].rating == 5 and parsed.rows[0].posted_at.year == 2026
    assert parsed.rows[1].source == "survey"


def test_csv_in_latin1_and_quoted_newlines():
    data = 'text,rating\n"Très bien, vraiment\nsuper",4\n"Ça marche pas",1\n'.encode("latin-1")
    rows = parse("r.csv", data).rows
    assert rows[0].text == "Très bien, vraiment\nsuper" and rows[1].text == "Ça marche pas"


def test_tsv_and_utf16():
    data = "text\trating\n很好用\t5\n".encode("utf-16")
    rows = parse("r.tsv", data).rows
    assert rows[0].text == "很好用" and rows[0].rating == 5


def test_json_array_of_strings_and_objects_and_wrapper():
    assert [r.text for r in parse("a.json", json.dumps(["one", "two"]).encode()).rows] == ["one", "two"]
    data = json.dumps({"reviews": [{"body": "nice", "score": "4/5"}]}).encode()
    rows = parse("a.json", data).rows
    assert rows[0].text == "nice" and rows[0].rating == 4


def test_jsonl_and_explicit_mapping():
    data = b'{"comment": "a", "who": "x"}\n\n{"comment": "b", "who": "y"}\n'
    parsed = parse("a.jsonl", data, {"text": "comment", "author": "who"})
    assert [(r.text, r.author) for r in parsed.rows] == [("a", "x"), ("b", "y")]


def test_plain_text_lines_and_paragraphs():
    assert [r.text for r in parse("a.txt", b"first\nsecond\n").rows] == ["first", "second"]
    rows = parse("a.txt", b"para one\nstill one\n\npara two\n").rows
    assert [r.text for r in rows] == ["para one\nstill one", "para two"]


def test_xlsx():
    wb = Workbook()
    ws = wb.active
    ws.append(["Text", "Rating", "Date"])
    ws.append(["Love it", 5, "2026-02-01"])
    ws.append([None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    parsed = parse("a.xlsx", buf.getvalue())
    assert len(parsed.rows) == 1 and parsed.rows[0].rating == 5 and parsed.skipped_blank == 1


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("a.csv", b"", "empty"),
        ("a.csv", b"   \n  ", "empty"),
        ("a.json", b"{not json", "Invalid JSON"),
        ("a.json", b'{"a": 1}', "array"),
        ("a.jsonl", b'{"text": "ok"}\n[1, 2', "Line 2"),
        ("a.xlsx", b"PK\x03\x04garbage", "XLSX"),
        ("a.csv", b"\x00\x01\x02binary\x00", "binary"),
        ("a.csv", b"foo,bar\n1,2\n", "which column"),
    ],
)
def test_bad_files_get_clear_errors(name, data, fragment):
    with pytest.raises(ImportValidationError) as err:
        parse(name, data)
    assert fragment.lower() in err.value.message.lower()


def test_row_errors_carry_row_numbers():
    data = b"text,rating\nfine,5\n,3\nalso fine,9\nok,abc\n"
    with pytest.raises(ImportValidationError) as err:
        parse("a.csv", data)
    rows = {d["row"]: d["error"] for d in err.value.details}
    assert set(rows) == {3, 4, 5}
    assert "empty" in rows[3] and "between 1 and 5" in rows[4] and "not a number" in rows[5]


def test_limits_on_rows_and_text_length():
    with pytest.raises(ImportValidationError, match="limit is 1000"):
        parse("a.txt", ("x\n" * 1001).encode())
    with pytest.raises(ImportValidationError) as err:
        parse("a.txt", ("y" * 501).encode())
    assert "limit is 500" in err.value.details[0]["error"]


def test_xlsx_zip_bomb_is_refused_without_opening():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    with pytest.raises(ImportValidationError, match="unreasonable size"):
        parse("bomb.xlsx", buf.getvalue())


def test_unknown_mapping_column_is_explained():
    with pytest.raises(ImportValidationError, match="names column 'nope'"):
        parse("a.csv", b"text\nhi\n", {"text": "nope"})
