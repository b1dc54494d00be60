"""From an uploaded file's bytes to its records (dicts of cells), one reader per format, each bounded in what it
reads: the encoding is guessed, CSV's delimiter counted in the header, JSON arrays decoded an item at a time,
workbooks refused when they would expand too far."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

from charset_normalizer import from_bytes

from .errors import ImportValidationError
from .rows import is_blank

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

FORMATS = ("csv", "tsv", "json", "jsonl", "txt", "xlsx")
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
XLSX_MAX_RATIO = 100
# Cells are parsed in the web request: a workbook beyond these bounds is refused rather than read.
XLSX_MAX_COLUMNS = 100
XLSX_MAX_CELLS = 1_000_000


def detect_format(filename: str, data: bytes) -> str:
    name = filename.lower()
    for ext, fmt in ((".xlsx", "xlsx"), (".tsv", "tsv"), (".csv", "csv"), (".jsonl", "jsonl"),
                     (".ndjson", "jsonl"), (".json", "json"), (".txt", "txt")):
        if name.endswith(ext):
            return fmt
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    head = data[:2048].lstrip()
    if head[:1] == b"[":
        return "json"
    if head[:1] == b"{":
        return "jsonl"
    return "txt"


def decode(data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportValidationError("This looks like a binary file, not text. Upload CSV, JSON, TXT or XLSX.")
    for encoding in ("utf-8-sig", "utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    if _isolated_high_bytes(data):
        # European text in cp1252/latin-1: accents are lone high bytes between ASCII letters, while
        # multi-byte encodings (GBK, Shift-JIS) put them in runs. Short samples fool the statistical guess.
        return data.decode("cp1252", errors="replace")
    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise ImportValidationError("Could not tell this file's text encoding. Save it as UTF-8 and upload again.")
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ImportValidationError(
            f"The file is not valid {best.encoding} text. Save it as UTF-8 and upload again."
        ) from exc


def _isolated_high_bytes(data: bytes) -> bool:
    runs = [len(m) for m in re.findall(rb"[\x80-\xff]+", data[:200_000])]
    return bool(runs) and sum(1 for n in runs if n == 1) / len(runs) > 0.8


def read_records(file_format: str, data: bytes, limit: int) -> tuple[Iterator[dict], list[str]]:
    """The file's records, lazily where the columns are known up front (tables, text), else at most `limit`
    (JSON: the columns are every key seen)."""
    if file_format == "xlsx":
        return _xlsx_records(data)
    text = decode(data)
    if file_format in ("csv", "tsv"):
        return _csv_records(text, "\t" if file_format == "tsv" else None)
    if file_format == "json":
        return _json_records(text, limit)
    if file_format == "jsonl":
        return _jsonl_records(text, limit)
    return _txt_records(text)

# A line with its ending, as io.StringIO(newline="") splits them for csv, without StringIO's copy of the text
# at 4 bytes a character.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    return (m.group(0) for m in _LINE.finditer(text))

CSV_DELIMITERS = ",;\t|"
HEADER_SCAN_CHARS = 4096


def detect_delimiter(text: str) -> str:
    """The candidate delimiter the header row uses most, counted outside quotes; a comma when it has none.

    Reads at most HEADER_SCAN_CHARS characters: csv.Sniffer, which this replaces, took ~17 s of CPU in the
    web request on 20 KB of lines holding a single quote.
    """
    counts = dict.fromkeys(CSV_DELIMITERS, 0)
    quoted = False
    for char in text[:HEADER_SCAN_CHARS]:
        if char == '"':
            quoted = not quoted  # a doubled quote inside a quoted field toggles twice
        elif quoted:
            continue
        elif char in "\r\n":
            break
        elif char in counts:
            counts[char] += 1
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier candidate
    return best if counts[best] else ","


def _csv_records(text: str, delimiter: str | None) -> tuple[list[dict], list[str]]:
    csv.field_size_limit(10 * 1024 * 1024)
    if delimiter is None:
        delimiter = detect_delimiter(text)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportValidationError(f"The CSV file is malformed: {exc}.") from exc
    if not header:
        raise ImportValidationError("The CSV file has no header row.")
    columns = [h.strip() for h in header]
    if len(set(c.lower() for c in columns)) != len(columns):
        raise ImportValidationError("The CSV header names a column twice.",
                                    [{"row": 1, "error": "duplicate column"}])
    return _csv_rows(reader, columns), columns


def _csv_rows(reader: Iterator[list[str]], columns: list[str]) -> Iterator[dict]:
    try:
        for values in reader:
            if len(values) > len(columns) and any(v.strip() for v in values[len(columns):]):
                raise ImportValidationError(
                    "A row has more values than the header has columns; check the delimiter and quoting.",
                    [{"row": reader.line_num, "error": f"{len(values)} values for {len(columns)} columns"}],
                )
            yield dict(zip(columns, values, strict=False))
    except csv.Error as exc:
        raise ImportValidationError(f"The CSV file is malformed: {exc}.") from exc

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_TOO_DEEP = "The JSON is nested too deeply to read; a record is an object of fields or a text."


def _json_array_items(text: str) -> Iterator[object]:
    """The items of the top-level JSON array in `text`, decoded one at a time."""
    decoder = json.JSONDecoder()
    position = _JSON_SPACE.match(text, _JSON_SPACE.match(text).end() + 1).end()  # past "["
    if text.startswith("]", position):
        return
    while True:
        try:
            value, position = decoder.raw_decode(text, position)
        except RecursionError as exc:
            raise ImportValidationError(_TOO_DEEP) from exc
        yield value
        position = _JSON_SPACE.match(text, position).end()
        if text.startswith("]", position):
            end = _JSON_SPACE.match(text, position + 1).end()
            if end != len(text):
                raise json.JSONDecodeError("Extra data", text, end)
            return
        if not text.startswith(",", position):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
        position = _JSON_SPACE.match(text, position + 1).end()


def _json_records(text: str, limit: int) -> tuple[Iterator[dict], list[str]]:
    try:
        if text.startswith("[", _JSON_SPACE.match(text).end()):
            return _objects(islice(_json_array_items(text), limit), first_number=1)
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportValidationError(f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from exc
    except RecursionError as exc:
        raise ImportValidationError(_TOO_DEEP) from exc
    if isinstance(value, dict):
        # {"reviews": [...]} and similar wrappers: take the single list inside.
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise ImportValidationError("Expected a JSON array of texts or objects.")
        value = lists[0]
    if not isinstance(value, list):
        raise ImportValidationError("Expected a JSON array of texts or objects.")
    return _objects(islice(value, limit), first_number=1)


def _jsonl_values(text: str) -> Iterator[object]:
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportValidationError(
                f"Line {number} is not valid JSON.", [{"row": number, "error": exc.msg}]
            ) from exc
        except RecursionError as exc:
            raise ImportValidationError(f"Line {number}: {_TOO_DEEP}", [{"row": number, "error": _TOO_DEEP}]) from exc


def _jsonl_records(text: str, limit: int) -> tuple[Iterator[dict], list[str]]:
    return _objects(islice(_jsonl_values(text), limit), first_number=1)


def _objects(values: Iterable[object], first_number: int) -> tuple[Iterator[dict], list[str]]:
    records: list[dict] = []
    columns: list[str] = []
    seen: set[str] = set()
    for number, value in enumerate(values, start=first_number):
        if isinstance(value, str):
            value = {"text": value}
        if not isinstance(value, dict):
            raise ImportValidationError(
                "Each JSON item must be an object or a string.", [{"row": number, "error": type(value).__name__}]
            )
        record = {str(k): v for k, v in value.items()}
        for key in record:
            if key not in seen:
                seen.add(key)
                columns.append(key)
        records.append(record)
    return iter(records), columns


def _split(text: str, separator: re.Pattern[str]) -> Iterator[str]:
    start = 0
    for match in separator.finditer(text):
        yield text[start:match.start()]
        start = match.end()
    yield text[start:]


def _txt_records(text: str) -> tuple[Iterator[dict], list[str]]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Blank-line separated paragraphs when there are any, otherwise one text per line.
    paragraphs = re.compile(r"\n\s*\n")
    chunks = _split(text, paragraphs if paragraphs.search(text.strip()) else re.compile(r"\n"))
    return ({"text": chunk.strip()} for chunk in chunks if chunk.strip()), ["text"]


def _xlsx_records(data: bytes) -> tuple[list[dict], list[str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        uncompressed = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportValidationError("This is not a valid XLSX file.") from exc
    if uncompressed > XLSX_MAX_UNCOMPRESSED or uncompressed > XLSX_MAX_RATIO * max(len(data), 1):
        raise ImportValidationError("This XLSX file expands to an unreasonable size; it was not opened.")
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # Read-only sheets pad every row to max_col: the sheet's own width when it declares one.
        rows = sheet.iter_rows(values_only=True, max_col=min(sheet.max_column or XLSX_MAX_COLUMNS, XLSX_MAX_COLUMNS))
        header = next(rows, None)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise ImportValidationError(_XLSX_UNREADABLE) from exc
    if not header or all(is_blank(h) for h in header):
        workbook.close()
        raise ImportValidationError("The first sheet has no header row.")
    header = header[:max(i for i, h in enumerate(header) if not is_blank(h)) + 1]  # padding, not columns
    columns = [str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header)]
    return _xlsx_rows(workbook, rows, columns), columns

_XLSX_UNREADABLE = "This XLSX file could not be read; re-save it from your spreadsheet app."


def _xlsx_rows(workbook: Workbook, rows: Iterator[tuple], columns: list[str]) -> Iterator[dict]:
    max_rows = XLSX_MAX_CELLS // len(columns)
    try:
        for number, values in enumerate(rows, start=2):
            if number - 1 > max_rows:
                raise ImportValidationError(
                    f"This workbook has more than {XLSX_MAX_CELLS:,} cells ({len(columns)} columns); save it as "
                    "CSV, or remove unused columns, and upload again.")
            yield dict(zip(columns, values, strict=False))
    except ImportValidationError:
        raise
    except Exception as exc:
        raise ImportValidationError(_XLSX_UNREADABLE) from exc
    finally:
        workbook.close()
