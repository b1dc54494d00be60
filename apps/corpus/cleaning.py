"""Text cleaning: what every stage may assume of a customer text."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_TAG_HINT = re.compile(r"<[a-zA-Z/!][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_BLOCK_TAGS = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def strip_html(raw: str) -> str:
    if not _TAG_HINT.search(raw):
        return html.unescape(raw) if "&" in raw else raw
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    return "".join(parser.parts)


def clean_text(raw: str) -> str:
    """HTML stripped, Unicode NFC-normalised, control characters dropped, whitespace collapsed.

    NFC rather than NFKC: NFKC would turn Chinese full-width punctuation into ASCII and change the
    customers' own words, which copy and reports quote verbatim."""
    text = strip_html(raw)
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()
