"""Parsing of uploaded files into rows. Pure functions over bytes: no database, no Django models.

Every problem a user can cause becomes an ImportValidationError with a message and per-row details. A row with a
problem (a blank text, a rating of "abc") refuses the whole file, unless the caller asks to skip such rows: then
they come back as `SkippedRow`s, with their raw cells, for the report the user downloads.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, islice
from typing import TYPE_CHECKING

from charset_normalizer import from_bytes

from apps.core.errors import InvalidRequest

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

FORMATS = ("csv", "tsv", "json", "jsonl", "txt", "xlsx")
FIELDS = ("text", "rating", "date", "source", "author", "product", "language")
# Header names we recognise for each field, most specific first.
COLUMN_GUESSES: dict[str, tuple[str, ...]] = {
    "text": ("text", "review", "review_text", "body", "content", "comment", "message", "feedback",
             "answer", "response", "description", "post", "ticket", "评论", "内容"),
    "rating": ("rating", "stars", "star_rating", "score", "评分"),
    "date": ("date", "posted_at", "created_at", "created", "timestamp", "time", "submitted_at", "日期"),
    "source": ("source", "channel", "platform", "origin"),
    "author": ("author", "customer", "user", "username", "name", "reviewer", "email"),
    "product": ("product", "item", "sku", "app", "产品"),
    "language": ("language", "lang", "locale"),
}
MAX_ROW_ERRORS = 50
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
XLSX_MAX_RATIO = 100
# Cells are parsed in the web request: a workbook beyond these bounds is refused rather than read.
XLSX_MAX_COLUMNS = 100
XLSX_MAX_CELLS = 1_000_000


class ImportValidationError(InvalidRequest):
    """`valid_rows` and `invalid_rows` are set when rows had problems: the caller can offer to skip them. The API
    answers it like every InvalidRequest (400), with `payload`'s fields beside "error"."""

    def __init__(self, message: str, details: list[dict] | None = None, *, valid_rows: int = 0,
                 invalid_rows: int = 0):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.valid_rows = valid_rows
        self.invalid_rows = invalid_rows

    @property
    def payload(self) -> dict:
        return {"details": self.details, "valid_rows": self.valid_rows, "invalid_rows": self.invalid_rows}


@dataclass(slots=True)  # up to max_rows of these are held during validation
class Row:
    number: int  # 1-based, as the user sees it (header = row 1 in tables)
    text: str
    rating: int | None = None
    posted_at: datetime | None = None
    source: str = ""
    author: str = ""
    product: str = ""
    language: str = ""


@dataclass(slots=True)
class SkippedRow:
    """A row left out by `skip_invalid`: its number, what is wrong with it, and its cells as the file has them
    (in the order of `ParsedFile.columns`)."""

    number: int
    problem: str
    cells: list[str]


@dataclass
class ParsedFile:
    file_format: str
    rows: list[Row]
    mapping: dict[str, str] = field(default_factory=dict)
    skipped_blank: int = 0
    columns: list[str] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)  # rows with problems, when asked to skip them


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


def parse_file(filename: str, data: bytes, mapping: dict[str, str] | None = None, *,
               max_rows: int, max_text_chars: int, skip_invalid: bool = False) -> ParsedFile:
    """The file's rows. A row with a problem refuses the file (the error counts the valid and invalid rows), or,
    with `skip_invalid`, is left out and listed in `skipped`; a file with no valid row is refused either way."""
    if not data or not data.strip():
        raise ImportValidationError("The file is empty.")
    file_format = detect_format(filename, data)
    try:
        # Records are produced one at a time and never more than max_rows + 1 of them: a file of millions of
        # short lines costs what its first max_rows cost, not gigabytes of dicts.
        records, columns = _records(file_format, data, max_rows + 1)
        if file_format in ("csv", "tsv", "txt"):
            # A first pass that builds no rows refuses an oversized file in a fraction of the time.
            recount, _ = _records(file_format, data, max_rows + 1)
            if sum(1 for _ in islice(recount, max_rows + 1)) > max_rows:
                raise _too_many_rows(max_rows)
        first = next(records, None)
        if first is None:
            raise ImportValidationError("The file contains no rows.")
        resolved = _resolve_mapping(columns, mapping or {})
        return _rows(file_format, chain((first,), records), columns, resolved, max_rows=max_rows,
                     max_text_chars=max_text_chars, skip_invalid=skip_invalid)
    except RecursionError as exc:
        raise ImportValidationError("The file is nested too deeply to read.") from exc


def _too_many_rows(max_rows: int) -> ImportValidationError:
    return ImportValidationError(f"The file has more than {max_rows} rows; the limit is {max_rows}. Split it.")


def _rows(file_format: str, records: Iterable[dict], columns: list[str], resolved: dict[str, str], *,
          max_rows: int, max_text_chars: int, skip_invalid: bool) -> ParsedFile:
    rows: list[Row] = []
    errors: list[dict] = []  # the first MAX_ROW_ERRORS, for the message; every invalid row is counted
    skipped: list[SkippedRow] = []
    invalid = blank = 0
    first_row = 2 if file_format in ("csv", "tsv", "xlsx") else 1
    for index, record in enumerate(records):
        if index == max_rows:
            raise _too_many_rows(max_rows)
        number = index + first_row
        if all(_blank(v) for v in record.values()):
            blank += 1
            continue
        try:
            rows.append(_row(number, record, resolved, max_text_chars))
        except ValueError as exc:
            invalid += 1
            if len(errors) < MAX_ROW_ERRORS:
                errors.append({"row": number, "error": str(exc)})
            if skip_invalid:
                skipped.append(SkippedRow(number, str(exc), [_raw(record.get(c)) for c in columns]))
    if invalid and not rows:
        raise ImportValidationError(
            f"{_rows_have(invalid)} problems and no row is valid; nothing was imported. Fix them and upload again.",
            errors, invalid_rows=invalid)
    if invalid and not skip_invalid:
        raise ImportValidationError(
            f"{_rows_have(invalid)} problems; nothing was imported. Fix them and upload again, or import the "
            f"{len(rows)} valid rows and skip {'it' if invalid == 1 else 'them'}.",
            errors, valid_rows=len(rows), invalid_rows=invalid)
    if not rows:
        raise ImportValidationError("The file contains no texts.")
    return ParsedFile(file_format=file_format, rows=rows, mapping=resolved, skipped_blank=blank, columns=columns,
                      skipped=skipped)


def _rows_have(count: int) -> str:
    return "1 row has" if count == 1 else f"{count} rows have"


def _raw(value: object) -> str:
    """A cell as the user wrote it, for the report of skipped rows."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _records(file_format: str, data: bytes, limit: int) -> tuple[Iterator[dict], list[str]]:
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
    if not header or all(_blank(h) for h in header):
        workbook.close()
        raise ImportValidationError("The first sheet has no header row.")
    header = header[:max(i for i, h in enumerate(header) if not _blank(h)) + 1]  # padding, not columns
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


def _resolve_mapping(columns: list[str], mapping: dict[str, str]) -> dict[str, str]:
    unknown_fields = set(mapping) - set(FIELDS)
    if unknown_fields:
        raise ImportValidationError(f"Unknown mapping field(s): {', '.join(sorted(unknown_fields))}.")
    not_names = sorted(name for name, column in mapping.items()
                       if column is not None and not isinstance(column, str))
    if not_names:
        raise ImportValidationError(f"The mapping must name each column as text (a column header); "
                                    f"it does not for: {', '.join(not_names)}.")
    by_lower = {c.lower().strip(): c for c in columns}
    resolved: dict[str, str] = {}
    for name in FIELDS:
        if mapping.get(name):
            column = by_lower.get(mapping[name].lower().strip())
            if column is None:
                raise ImportValidationError(f"The mapping names column {mapping[name]!r} for {name}, "
                                            f"but the file has: {', '.join(columns)}.")
            resolved[name] = column
            continue
        for guess in COLUMN_GUESSES[name]:
            if guess in by_lower and by_lower[guess] not in resolved.values():
                resolved[name] = by_lower[guess]
                break
    if "text" not in resolved:
        if len(columns) == 1:
            resolved["text"] = columns[0]
        else:
            raise ImportValidationError(
                "Could not tell which column holds the text. Name it 'text' or choose it in the mapping.",
                [{"row": 1, "error": f"columns: {', '.join(columns)}"}],
            )
    return resolved


def _cell(record: dict, column: str | None) -> str:
    if not column:
        return ""
    value = record.get(column)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _row(number: int, record: dict, mapping: dict[str, str], max_text_chars: int) -> Row:
    text = _cell(record, mapping.get("text"))
    if not text:
        raise ValueError("the text is empty")
    if len(text) > max_text_chars:
        raise ValueError(f"the text has {len(text)} characters; the limit is {max_text_chars}")
    return Row(
        number=number,
        text=text,
        rating=_rating(_cell(record, mapping.get("rating"))),
        posted_at=_date(record.get(mapping["date"]) if mapping.get("date") else None),
        source=_cell(record, mapping.get("source"))[:100],
        author=_cell(record, mapping.get("author"))[:200],
        product=_cell(record, mapping.get("product"))[:200],
        language=_cell(record, mapping.get("language"))[:12].lower(),
    )


def _rating(raw: str) -> int | None:
    if not raw:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:/\s*5|stars?|★)?", raw.strip().lower())
    if not match:
        raise ValueError(f"rating {raw[:20]!r} is not a number from 1 to 5")
    number = float(match.group(1))
    if number > 5.5:  # before round(): 400 nines are infinity, which no integer holds
        raise ValueError(f"rating {raw[:20]!r} is not between 1 and 5")
    value = round(number)
    if not 1 <= value <= 5:
        raise ValueError(f"rating {raw[:20]!r} is not between 1 and 5")
    return value


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                 "%Y年%m月%d日")


def _date(raw: object) -> datetime | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 < raw < 1e11:
        return datetime.fromtimestamp(raw, tz=UTC)
    value = str(raw).strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(f"date {value[:30]!r} is not a date (use YYYY-MM-DD)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
