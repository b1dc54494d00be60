"""Comparisons this product loses: "My Xiaomi lamp was brighter than this one", "之前买的杂牌都比这个耐用".

Such a text praises something else. Its star rating or its warm words ("bright", "great") say positive, and
both the classifier and a report read it as praise of this product, which is confidently wrong: sentiment
marks it mixed at low confidence, and the evidence checks never cite it as praise.

Not a comparison this product loses: the comparative is one of the direction "worse" ("slower than this"), the
subject is negated ("nothing is better than this", "没有比这个更好的"), or "this" is a time ("happier than this
year"). Every repetition is bounded, so the check is linear in the text's length.
"""

from __future__ import annotations

import re

# -er words that are not comparatives, and comparatives in which "this" is the better one.
_NOT_WINNING = (
    "rather|other|another|never|ever|however|over|under|after|either|neither|whether|together|order|later|"
    "earlier|user|owner|customer|number|paper|water|power|cover|filter|sticker|charger|speaker|player|computer|"
    "worse|slower|weaker|dimmer|heavier|noisier|louder|harder|uglier|flimsier|buggier|pricier|poorer|dumber|"
    "more expensive|more problems|more issues|more bugs|more noise|more trouble|more complicated|more annoying")
_TIME = r"(?:year|month|week|day|time|morning|evening|afternoon|season|summer|winter|spring|autumn|fall|way)"
_EN = re.compile(
    rf"\b(?!(?:{_NOT_WINNING})\b)(?:better|\w{{2,20}}er|more \w{{2,20}})(?:\s+\w{{1,20}}){{0,2}}\s+than\s+"
    rf"(?:(?:this|these)(?!\s+{_TIME}s?\b)|ours|yours|mine)\b",
    re.IGNORECASE)
_ZH = re.compile(r"比(?:这个|这款|这台|这家|你们的?|你家的?)[^，。！？,.!?]{0,6}"
                 r"(?:好|强|亮|便宜|耐用|快|稳定|结实|清楚|舒服|实用)")
# A negated subject turns the comparison into praise: "nothing beats", "no lamp is brighter than this".
_EN_NEGATED = re.compile(
    r"(?:\b(?:nothing|none|no(?!-)|never|not|hardly|nobody)\b|n't\b)[^.!?;,]{0,40}$", re.IGNORECASE)
_ZH_NEGATED = re.compile(r"(?:没有|没|再也没有|找不到)[^，。！？,.!?]{0,8}$")


def favours_another(text: str) -> bool:
    """Whether the text says something else is better than this product."""
    text = text[:5000]
    for pattern, negated in ((_EN, _EN_NEGATED), (_ZH, _ZH_NEGATED)):
        for match in pattern.finditer(text):
            if not negated.search(text[max(0, match.start() - 40):match.start()]):
                return True
    return False
