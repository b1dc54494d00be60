"""Deterministic checks of translations. Pure functions: no database, no model server.

- `language_matches` (copy's contract, apps/copy/contract.py): the answer is written in the target language.
- `plausible_translation`: the answer is about as long as its source (a weak model answering "English" to a
  whole review is no translation).
"""

from __future__ import annotations

import re

from apps.copy.contract import language_matches

__all__ = ["language_matches", "plausible_translation"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")


def _weight(text: str) -> int:
    """Roughly how much a text says: a Chinese or Japanese character carries about as much as three letters."""
    text = re.sub(r"\s+", " ", text or "").strip()
    cjk = len(_CJK.findall(text)) + len(_KANA.findall(text))
    return 3 * cjk + (len(text) - cjk)


def plausible_translation(source: str, translation: str) -> bool:
    """False for an answer far too short or too long to be a translation of `source` (a weak model answering
    "English" to a whole review). Short sources are not judged."""
    source_weight = _weight(source)
    if source_weight < 30:
        return bool((translation or "").strip())
    ratio = _weight(translation) / source_weight
    return 0.3 <= ratio <= 4.0
