"""From a file's records (dicts of cells) to rows: which column holds which field, and each field's value."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .errors import ImportValidationError

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


def resolve_mapping(columns: list[str], mapping: dict[str, str]) -> dict[str, str]:
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


def row_from(number: int, record: dict, mapping: dict[str, str], max_text_chars: int) -> Row:
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


def raw_cell(value: object) -> str:
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


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
