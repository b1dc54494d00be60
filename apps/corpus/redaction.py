"""Personal-data redaction. Later stages (embeddings, LLM, exports) only ever see the redacted text.

Detectors are offline regular expressions plus the text's own author field; there is no offline
named-entity model here, so names are caught only when introduced ("my name is …", signatures) or
when they match the author column.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

# Bounded (RFC 5321 lengths) and anchored at the start of a run of address characters, so a long run without
# an "@" costs one scan instead of one per position (the unbounded form took ~1 s on 20k characters of "a.").
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,255}\.[A-Za-z]{2,63}")
CARD_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ \-]?){12,18}\d(?!\d)")
PHONE = re.compile(
    r"(?<![\w+])(?:\+?\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)[\s.\-]?)?\d{2,4}[\s.\-]?\d{3,4}[\s.\-]?\d{3,4}(?!\w)"
    r"|(?<![\w+])(?:\+?\d{1,3}[\s.\-]?)?\(\d{2,4}\)[\s.\-]?\d{3,4}[\s.\-]?\d{3,4}(?!\w)"  # (415) 555-0132
    r"|(?<!\d)1[3-9]\d{9}(?!\d)"
)
NAME_INTRO = re.compile(
    r"(?P<lead>\b(?:[Mm]y name is|[Tt]his is|I am|I'm|[Ss]igned|[Rr]egards,?|[Tt]hanks,?|[Cc]heers,?)\s{1,10})"
    r"(?P<name>[A-Z][a-z]{1,40}(?:\s{1,5}[A-Z][a-z]{1,40})?)"
    r"|(?P<zh_lead>我叫|我是)(?P<zh_name>[\u4e00-\u9fff]{2,3})"
)


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: dict[str, int]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def redact(text: str, author: str = "") -> Redacted:
    counts: Counter[str] = Counter()

    def sub(pattern: re.Pattern, label: str, source: str, keep=None) -> str:
        def repl(match: re.Match) -> str:
            if keep and keep(match):
                return match.group(0)
            counts[label] += 1
            return f"[{label}]"

        return pattern.sub(repl, source)

    text = sub(EMAIL, "EMAIL", text)
    text = sub(CARD_CANDIDATE, "CARD", text, keep=lambda m: not _luhn_ok(re.sub(r"\D", "", m.group(0))))
    text = sub(PHONE, "PHONE", text, keep=lambda m: len(re.sub(r"\D", "", m.group(0))) < 9)

    def name_repl(match: re.Match) -> str:
        counts["NAME"] += 1
        if match.group("lead"):
            return f"{match.group('lead')}[NAME]"
        return f"{match.group('zh_lead')}[NAME]"

    text = NAME_INTRO.sub(name_repl, text)
    full_name = author.strip()
    for part in _author_names(author):
        # The full name in any case; a single part only as a name is written (capitalised), so that the
        # author "Will Hope" does not take "will" and "hope" out of every sentence.
        is_full_name = part == full_name
        needle = part if is_full_name else part[:1].upper() + part[1:]
        pattern = re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)", re.IGNORECASE if is_full_name else 0)
        text, n = pattern.subn("[NAME]", text)
        counts["NAME"] += n
    return Redacted(text=text, counts=dict(counts))


def _author_names(author: str) -> list[str]:
    """The author's full name and its parts long enough not to hit ordinary words."""
    author = author.strip()
    if not author or "@" in author:
        return [author] if author else []
    parts = [p for p in re.split(r"[\s._\-]+", author) if len(p) >= 3]
    return sorted({author, *parts}, key=len, reverse=True)
