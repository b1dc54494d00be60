"""Words of customer texts for overlap measures (is a claim grounded in a quote? which quotes did a reply
draw on?). Shared by copy and replies; clustering has its own keyword tokenizer, tuned for c-TF-IDF."""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9\u00c0-\u024f']{3,}")
_STOPWORDS = frozenset(
    "a an and are as at be but by for from has have i in is it its me my of on or our so that the this to was "
    "we were with you your it's not no very just all can will get got more than too".split())


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and case-folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def content_tokens(text: str) -> set[str]:
    """Content words (Latin script) and character pairs (CJK: no spaces, and no segmenter needed)."""
    folded = normalise(text)
    words = {w for w in _WORD.findall(folded) if w not in _STOPWORDS}
    cjk = "".join(_CJK.findall(folded))
    return words | {cjk[i:i + 2] for i in range(len(cjk) - 1)}
