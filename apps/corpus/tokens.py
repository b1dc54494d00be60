"""Words of customer and generated texts, read the same way by every check (is a claim grounded in a quote?
which quotes did a reply draw on? does a draft use a banned word?). Shared by copy, replies and translation;
clustering has its own keyword tokenizer, tuned for c-TF-IDF."""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9\u00c0-\u024f']{3,}")
_STOPWORDS = frozenset(
    "a an and are as at be but by for from has have i in is it its me my of on or our so that the this to was "
    "we were with you your it's not no very just all can will get got more than too".split())
_LATIN = r"[0-9A-Za-z\u00C0-\u024F]"  # what counts as "inside a word" for Latin-script matching
_INFLECTIONS = r"(?:s|es|er|ers|est|ed|d|ing|ly)?"


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and case-folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def fold_keeping_offsets(text: str) -> str:
    """A same-length case-folded, width-normalised copy of `text`, so offsets found in it index the original
    (a character whose folding changes the length, such as "ß", is only lower-cased)."""
    out = []
    for ch in text or "":
        folded = unicodedata.normalize("NFKC", ch).casefold()
        out.append(folded if len(folded) == 1 else ch.lower() if len(ch.lower()) == 1 else ch)
    return "".join(out)


def has_cjk(text: str | None) -> bool:
    """Han, kana or Hangul anywhere in `text`."""
    return bool(_CJK.search(text or ""))


def content_tokens(text: str) -> set[str]:
    """Content words (Latin script) and character pairs (CJK: no spaces, and no segmenter needed)."""
    folded = normalise(text)
    words = {w for w in _WORD.findall(folded) if w not in _STOPWORDS}
    cjk = "".join(_CJK.findall(folded))
    return words | {cjk[i:i + 2] for i in range(len(cjk) - 1)}


def term_pattern(term: str) -> re.Pattern[str] | None:
    """How a word or phrase (a brand voice's word to avoid, say) is found in a folded text: a Chinese term as
    a substring ("最" in "最好"), a Latin one as whole words with common inflections ("cheap" also catches
    "cheaper"). None for a blank term."""
    term = normalise(term).strip()
    if not term:
        return None
    if has_cjk(term):
        return re.compile(re.escape(term))
    body = r"\s+".join(re.escape(part) for part in term.split())
    return re.compile(rf"(?<!{_LATIN}){body}{_INFLECTIONS}(?!{_LATIN})")
