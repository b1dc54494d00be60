"""Per-text sentiment: a light classifier over multilingual sentence embeddings, never an LLM call per text.

Why this shape (TnT-LLM's lesson): a logistic regression on good sentence embeddings labels as well as a
large model's zero-shot answer, at import speed. Features are the Universal Sentence Encoder multilingual
vector (Chinese and English share one space, so each language's seeds help the other), lexicon scores
(VADER for English, a small lexicon for Chinese) that carry negation and intensity, and TF-IDF over word
and Chinese character n-grams, which learn the phrases an embedding blurs ("不推荐", "not worth it",
"稳定发挥"): on the dev sets they took polar accuracy from 0.77 to 0.85 (en) and 0.74 to 0.85 (zh). It is
trained on
hand-labelled seeds shipped with the app (`sentiment_seed/`, see docs/DATA.md) and, per workspace, on the
analysts' corrections, which weigh more than a seed because they are that workspace's own ground truth.

A star rating is evidence too: it decides when the text agrees or says little, and a text that clearly
contradicts its rating (5 stars, "stopped working after a week") is marked mixed, and so, at low confidence, is
a positive text that says another product is better (`comparisons.py`). Every verdict carries
the method that produced it and a confidence, so pages can say "low confidence" instead of pretending.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from .comparisons import favours_another

SEED_DIR = Path(__file__).resolve().parent / "sentiment_seed"
ENCODER = "use-multilingual"
CLASSES = ("negative", "neutral", "positive")
FEATURES_VERSION = 2  # bump when `dense_features` changes
MODEL_VERSION = 1  # bump when SentimentModel's training changes (the fitted base model is cached on disk)
CORRECTION_WEIGHT = 2.0  # one analyst's correction counts as much as two seeds (more overfits hard texts)
# Below this a verdict is shown as "low confidence" (and is first in line for the model's label). On the dev
# sets' polar texts, 0.7 leaves 80-85% of verdicts confident at 0.88-0.89 accuracy; at 0.6 it was 0.86.
LOW_CONFIDENCE = 0.7
CONTRADICTION = 0.75  # the text must be this sure to overrule its star rating (then: mixed)
NEUTRAL_MARGIN = 0.45  # neutral must beat the likelier polarity by this much
NGRAM_WEIGHT = 2.0  # see SentimentModel._combined
COMPARISON = 0.6  # the confidence of "mixed" for a positive text that says another product is better

POSITIVE_ZH = ("好用", "喜欢", "满意", "不错", "推荐", "很棒", "完美", "舒服", "漂亮", "值得", "给力", "方便", "好看",
               "惊喜", "赞", "清晰", "稳定", "耐用", "好评", "真香", "物超所值", "性价比高", "回购", "超值", "开心",
               "流畅", "贴心", "专业", "及时", "干净", "好吃", "实惠", "靠谱", "无限回购", "绝了", "yyds", "感谢")
NEGATIVE_ZH = ("差", "失望", "垃圾", "坏", "退货", "不好", "问题", "慢", "断开", "卡顿", "贵", "没电", "掉电", "耗电",
               "难用", "投诉", "差评", "后悔", "不行", "故障", "拉胯", "不回复", "破", "烂", "糟糕", "麻烦", "踩雷",
               "智商税", "无语", "坑", "骗", "避雷", "敷衍", "恶心", "退款", "闪退", "死机", "一言难尽", "再也不",
               "开不了机", "不理", "态度恶劣", "掉色", "异味", "漏", "发热", "发烫")
# What may stand right before a lexicon word to negate it: a negator, or a negator plus a degree word
# ("不是很好用", "不太满意", "没那么方便"), which a one-character look-back missed.
NEGATOR_CHARS_ZH = "不没别无未"  # a word that starts with one is a negation already ("不好")
NEGATORS_ZH = (*NEGATOR_CHARS_ZH, "不是很", "不太", "不怎么", "不够", "没那么", "没有那么", "不算", "不大",
               "不是特别", "没有很")
HAS_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class SentimentVerdict:
    sentiment: str  # positive, neutral, negative, mixed
    score: float  # -1 .. 1: P(positive) - P(negative), or the rating's value
    confidence: float  # 0 .. 1
    method: str  # classifier, rating, rating+text, corrected

    @property
    def low_confidence(self) -> bool:
        return self.confidence < LOW_CONFIDENCE


@dataclass(frozen=True)
class LabelledText:
    text: str
    sentiment: str  # one of CLASSES
    weight: float = 1.0


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def zh_lexicon_score(text: str) -> float:
    """-1 .. 1 from the Chinese word lists; a negator right before a word flips it."""
    score = 0
    for words, sign in ((POSITIVE_ZH, 1), (NEGATIVE_ZH, -1)):
        for word in words:
            start = text.find(word)
            while start != -1:
                negated = word[0] not in NEGATOR_CHARS_ZH and text[:start].endswith(NEGATORS_ZH)
                score += -sign if negated else sign
                start = text.find(word, start + len(word))
    return max(-1.0, min(1.0, score / 3))


def lexicon_features(text: str) -> list[float]:
    """[score, positive share, negative share, neutral share]: VADER's four for English, the Chinese lexicon's
    score (and zeros) for Chinese. They carry negation and intensity, which sentence embeddings blur."""
    if HAS_CJK.search(text):
        return [zh_lexicon_score(text), 0.0, 0.0, 0.0]
    scores = _vader().polarity_scores(text[:2000])
    return [scores["compound"], scores["pos"], scores["neg"], scores["neu"]]


def dense_features(texts: Sequence[str]) -> np.ndarray:
    from apps.embeddings.backends import get_backend

    clipped = [t[:2000] for t in texts]  # the sentence encoder reads the start; bounded work per text
    vectors = get_backend(ENCODER).encode(clipped) if clipped else np.zeros((0, 512), dtype=np.float32)
    lexicon = np.array([lexicon_features(t) for t in clipped], dtype=np.float32).reshape(-1, 4)
    return np.hstack([vectors, lexicon])


_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9']+|[!?🙃]")


def ngrams(text: str) -> list[str]:
    """Chinese character 1-3-grams (Chinese has no spaces; a character trigram covers most words with a
    negator, "不推荐") and English word 1-2-grams ("not worth")."""
    text = text[:2000].lower()
    grams = []
    for run in _CJK_RUN.findall(text):
        for n in (1, 2, 3):
            grams += [run[i:i + n] for i in range(len(run) - n + 1)]
    words = _WORD.findall(text)
    return grams + words + [f"{a} {b}" for a, b in zip(words, words[1:])]


class ReadsSentiment(Protocol):
    """What classification needs of a model: the shipped SentimentModel, or a workspace's
    (`workspace_sentiment.WorkspaceSentimentModel`)."""

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]: ...


class SentimentModel:
    """Logistic regression over `dense_features` and n-gram TF-IDF. Thread-safe for prediction."""

    def __init__(self, examples: Sequence[LabelledText], features: np.ndarray | None = None):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        labels = [e.sentiment for e in examples]
        missing = set(CLASSES) - set(labels)
        if missing:
            raise ValueError(f"training data lacks {sorted(missing)}")
        self.size = len(examples)
        texts = [e.text for e in examples]
        self._ngrams = TfidfVectorizer(analyzer=ngrams, min_df=2, sublinear_tf=True)
        self._ngrams.fit(texts)
        # A calibrated RBF SVM was within a point or two on the dev sets, 5x slower to predict, and its
        # probabilities bunched between 0.7 and 0.9: logistic regression's spread makes a useful confidence.
        self._model = LogisticRegression(C=4.0, max_iter=5000, class_weight="balanced")
        dense = dense_features(texts) if features is None else features
        self._model.fit(self._combined(texts, dense), labels, sample_weight=np.array([e.weight for e in examples]))
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}  # a lock cannot be pickled

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _combined(self, texts: Sequence[str], dense: np.ndarray):
        from scipy import sparse

        # The n-grams weigh twice: their TF-IDF rows have unit norm against an embedding of unit norm plus
        # lexicon scores, and at weight 1 the embedding drowned them (0.83 vs 0.85 on the dev sets).
        return sparse.hstack([sparse.csr_matrix(dense), self._ngrams.transform(texts) * NGRAM_WEIGHT]).tocsr()

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return self.probabilities_from(texts, dense_features(texts)) if texts else []

    def probabilities_from(self, texts: Sequence[str], dense: np.ndarray) -> list[dict[str, float]]:
        """As `probabilities`, with the texts' `dense_features` already computed (two models, one encoding)."""
        if not texts:
            return []
        features = self._combined(texts, dense)
        with self._lock:
            probs = self._model.predict_proba(features)
        order = list(self._model.classes_)
        return [{c: float(row[order.index(c)]) for c in CLASSES} for row in probs]


def load_seeds() -> list[LabelledText]:
    seeds = []
    for path in sorted(SEED_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                seeds.append(LabelledText(row["text"], row["sentiment"]))
    return seeds


_seed_lock = threading.Lock()


def _seed_cache_file(seeds: Sequence[LabelledText], name: str) -> Path:
    """Where something computed from the seeds is kept between processes: keyed by the seeds, the encoder and
    the versions, so a changed seed file, encoder or training never reuses a stale file."""
    from django.conf import settings

    key = [ENCODER, FEATURES_VERSION, MODEL_VERSION, [(s.text, s.sentiment) for s in seeds]]
    digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()
    return Path(settings.DATA_DIR) / "cache" / f"sentiment-{name.format(digest=digest[:16])}"


@cache
def _seeds_with_features() -> tuple[list[LabelledText], np.ndarray]:
    seeds = load_seeds()
    path = _seed_cache_file(seeds, "seed-features-{digest}.npy")
    if path.is_file():
        features = np.load(path)
        if features.shape[0] == len(seeds):
            return seeds, features
    features = dense_features([s.text for s in seeds])  # ~4k sentences: seconds; every worker would repeat it
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(partial, features)
    os.replace(partial, path)  # atomic: a concurrent reader sees the whole file or none
    return seeds, features


def _seed_data() -> tuple[list[LabelledText], np.ndarray]:
    """The seeds and their features, computed once per process (a few seconds)."""
    with _seed_lock:
        return _seeds_with_features()


@cache
def base_model() -> SentimentModel:
    """The seeds' classifier, fitted once per machine: fitting takes 10-15 s on two idle cores (a minute on
    busy ones), which every worker process and every import task would otherwise pay."""
    import joblib

    seeds, features = _seed_data()
    path = _seed_cache_file(seeds, "base-model-{digest}.joblib")
    if path.is_file():
        try:
            model = joblib.load(path)  # our own file, written below from the shipped seeds
            if isinstance(model, SentimentModel) and model.size == len(seeds):
                return model
        except Exception:  # noqa: BLE001 - a torn or stale file is refitted, never fatal
            pass
    model = SentimentModel(seeds, features)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    joblib.dump(model, partial)
    os.replace(partial, path)  # atomic: a concurrent reader sees the whole file or none
    return model


def model_with_corrections(corrections: Sequence[LabelledText]) -> SentimentModel:
    """The seeds plus one workspace's corrections, weighted up."""
    if not corrections:
        return base_model()
    seeds, features = _seed_data()
    weighted = [LabelledText(c.text, c.sentiment, CORRECTION_WEIGHT) for c in corrections]
    return SentimentModel(seeds + weighted, np.vstack([features, dense_features([c.text for c in weighted])]))


def verdict_from(probs: dict[str, float], rating: int | None, *, says_enough: bool = True) -> SentimentVerdict:
    """Combine the text's probabilities with its star rating, if any.

    Between the two polarities the likelier wins; neutral needs to be clearly likelier than both (texts
    with no opinion). A text whose polarities are close is low confidence, not "mixed": on the dev sets
    calling such texts mixed was wrong 9 times in 10. Mixed comes from a rating the words contradict."""
    score = probs["positive"] - probs["negative"]
    polar = "positive" if score >= 0 else "negative"
    if probs["neutral"] >= probs[polar] + NEUTRAL_MARGIN:
        text_label, confidence = "neutral", probs["neutral"]
    else:
        text_label, confidence = polar, probs[polar]
    if rating is None:
        return SentimentVerdict(text_label, round(score, 3), round(confidence, 3), "classifier")
    rated = "positive" if rating >= 4 else "negative" if rating <= 2 else "neutral"
    rated_score = {1: -1.0, 2: -0.5, 3: 0.0, 4: 0.5, 5: 1.0}[rating]
    opposite = {"positive": "negative", "negative": "positive"}.get(rated)
    if opposite and says_enough and probs[opposite] >= CONTRADICTION:
        # The stars say one thing, the words clearly the other: both are evidence, neither wins.
        return SentimentVerdict("mixed", round((rated_score + score) / 2, 3), round(probs[opposite], 3),
                                "rating+text")
    if rated == "neutral":
        label = text_label if confidence >= LOW_CONFIDENCE else "neutral"
        return SentimentVerdict(label, round(score / 2, 3), round(max(confidence, LOW_CONFIDENCE), 3), "rating+text")
    return SentimentVerdict(rated, rated_score, round(max(0.9, probs[rated]), 3), "rating")


def says_enough(text: str) -> bool:
    """Whether a text is long enough to overrule its star rating: "ok" under one star is a terse rating,
    not a contradiction (the n-grams learnt "ok" from praise)."""
    return len(_WORD.findall(text.lower())) >= 3 or sum(len(run) for run in _CJK_RUN.findall(text)) >= 5


def classify_sentiment(model: ReadsSentiment, texts: Sequence[str],
                       ratings: Sequence[int | None]) -> list[SentimentVerdict]:
    return [_unless_another_wins(t, verdict_from(p, r, says_enough=says_enough(t)))
            for t, p, r in zip(texts, model.probabilities(texts), ratings, strict=True)]


def _unless_another_wins(text: str, verdict: SentimentVerdict) -> SentimentVerdict:
    """A positive verdict on a text that says another product is better ("My Xiaomi lamp was brighter than this
    one", 5 stars) becomes mixed, at low confidence: its stars or warm words praise the other product, and a
    page should not show it as confident praise of this one (nor the model's labelling skip it)."""
    if verdict.sentiment != "positive" or not favours_another(text):
        return verdict
    return SentimentVerdict("mixed", round(verdict.score / 2, 3), round(min(verdict.confidence, COMPARISON), 3),
                            verdict.method)
