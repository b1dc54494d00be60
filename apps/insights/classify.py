"""Per-text signals from cheap offline models: never an LLM call per text.

Sentiment comes from the best signal available: the star rating when there is one (1-2 negative,
3 neutral, 4-5 positive), else VADER for English and a small lexicon for Chinese. Intent comes from
cue phrases in both languages, falling back on the sentiment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

POSITIVE_ZH = ("好用", "喜欢", "满意", "不错", "推荐", "很棒", "完美", "舒服", "柔和", "漂亮", "值得", "给力", "方便",
               "快", "好看", "惊喜", "赞", "清晰", "稳定", "耐用", "好评")
NEGATIVE_ZH = ("差", "失望", "垃圾", "坏", "退货", "不好", "问题", "慢", "断开", "卡", "贵", "没电", "掉电", "耗电",
               "难用", "投诉", "差评", "后悔", "不行", "故障", "闪", "拉胯", "不回复", "破", "烂", "糟糕", "麻烦")
NEGATORS_ZH = ("不", "没", "别", "无")

FEATURE_CUES = re.compile(
    r"\b(please add|would love|wish (it|there|you)|would be (great|nice)|feature request|could you add|"
    r"should (add|have|support)|need(s)? (a|an|to support)|hope you add|add support for|it'd be nice)\b"
    r"|希望|建议|能不能|能否|要是有|如果有|期待|增加|加个|加一个|支持一下",
    re.IGNORECASE,
)
QUESTION_CUES = re.compile(r"\?\s*$|？|^(how|why|what|when|where|can|does|is|do) |怎么|如何|为什么|吗[？?]?$",
                           re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class TextSignals:
    sentiment: str
    score: float
    method: str
    intent: str


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _zh_score(text: str) -> float:
    score = 0
    for words, sign in ((POSITIVE_ZH, 1), (NEGATIVE_ZH, -1)):
        for word in words:
            for match in re.finditer(re.escape(word), text):
                negated = match.start() > 0 and text[match.start() - 1] in NEGATORS_ZH and word not in NEGATORS_ZH
                score += -sign if negated else sign
    return max(-1.0, min(1.0, score / 3))


def sentiment_of(text: str, language: str, rating: int | None) -> tuple[str, float, str]:
    if rating is not None:
        score = {1: -1.0, 2: -0.5, 3: 0.0, 4: 0.5, 5: 1.0}[rating]
        return _label(score, 0.25), score, "rating"
    if language == "zh" or (not language and re.search(r"[\u4e00-\u9fff]", text)):
        score = _zh_score(text)
        return _label(score, 0.2), score, "lexicon-zh"
    score = _vader().polarity_scores(text)["compound"]
    return _label(score, 0.05), score, "vader"


def _label(score: float, margin: float) -> str:
    if score >= margin:
        return "positive"
    if score <= -margin:
        return "negative"
    return "neutral"


def intent_of(text: str, sentiment: str) -> str:
    if FEATURE_CUES.search(text):
        return "feature_request"
    if QUESTION_CUES.search(text.strip()):
        return "question"
    return {"negative": "complaint", "positive": "praise"}.get(sentiment, "other")


def classify(text: str, language: str, rating: int | None) -> TextSignals:
    sentiment, score, method = sentiment_of(text, language, rating)
    return TextSignals(sentiment=sentiment, score=round(score, 3), method=method, intent=intent_of(text, sentiment))
