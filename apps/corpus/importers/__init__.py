"""Parsing of uploaded files into rows. Pure functions over bytes: no database, no Django models.

`readers` turns a file's bytes into records (one reader per format), `rows` turns records into `Row`s (the column
mapping and each field's value); `parse_file` here runs both. Every problem a user can cause becomes an
ImportValidationError (`errors`) with a message and per-row details. A row with a problem (a blank text, a rating
of "abc") refuses the whole file, unless the caller asks to skip such rows: then they come back as `SkippedRow`s,
with their raw cells, for the report the user downloads.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, islice

from .errors import MAX_ROW_ERRORS, ImportValidationError
from .readers import FORMATS, detect_delimiter, detect_format, read_records
from .rows import FIELDS, ParsedFile, Row, SkippedRow, is_blank, raw_cell, resolve_mapping, row_from

__all__ = ["FIELDS", "FORMATS", "MAX_ROW_ERRORS", "ImportValidationError", "ParsedFile", "Row", "SkippedRow",
           "detect_delimiter", "detect_format", "parse_file"]


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
        records, columns = read_records(file_format, data, max_rows + 1)
        if file_format in ("csv", "tsv", "txt"):
            # A first pass that builds no rows refuses an oversized file in a fraction of the time.
            recount, _ = read_records(file_format, data, max_rows + 1)
            if sum(1 for _ in islice(recount, max_rows + 1)) > max_rows:
                raise _too_many_rows(max_rows)
        first = next(records, None)
        if first is None:
            raise ImportValidationError("The file contains no rows.")
        resolved = resolve_mapping(columns, mapping or {})
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
        if all(is_blank(v) for v in record.values()):
            blank += 1
            continue
        try:
            rows.append(row_from(number, record, resolved, max_text_chars))
        except ValueError as exc:
            invalid += 1
            if len(errors) < MAX_ROW_ERRORS:
                errors.append({"row": number, "error": str(exc)})
            if skip_invalid:
                skipped.append(SkippedRow(number, str(exc), [raw_cell(record.get(c)) for c in columns]))
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
