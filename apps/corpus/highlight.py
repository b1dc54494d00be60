"""Findings in a text (unsupported claims, policy flags): one per character, and the text cut into plain and
flagged pieces so a template can highlight them while escaping every character (no HTML is ever built from
model or customer text)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar


class Span(Protocol):
    start: int
    end: int


S = TypeVar("S", bound=Span)


def without_overlaps(spans: Iterable[S]) -> list[S]:
    """The spans by position; where two overlap the longer one is kept ("100%" over "100"), so a page
    highlights each character once."""
    kept: list[S] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def segments(text: str, findings: Iterable[Any], key: str) -> list[dict]:
    """Consecutive pieces {"text": ..., key: None or the finding as a dict}. A finding is a dict or has
    `as_dict()`, with "start", "end" and "text". One with no span (a language flag) or with stale offsets
    (the text was edited since) is skipped: listed by the page, not highlighted in the wrong place."""
    items = sorted((f.as_dict() if hasattr(f, "as_dict") else dict(f) for f in findings),
                   key=lambda f: int(f["start"]))
    pieces: list[dict] = []
    position = 0
    for finding in items:
        start, end = int(finding["start"]), int(finding["end"])
        if start >= end or start < position or end > len(text) or text[start:end] != finding["text"]:
            continue
        if start > position:
            pieces.append({"text": text[position:start], key: None})
        pieces.append({"text": text[start:end], key: finding})
        position = end
    if position < len(text):
        pieces.append({"text": text[position:], key: None})
    return pieces
