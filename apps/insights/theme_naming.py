"""Theme labels that say what the theme's own texts say, checked before anyone reads them.

The model names a theme contrastively (as Anthropic's Clio does): it sees the theme's representative texts
and keywords and the keywords of the nearest other themes, and is asked for what sets this theme apart.
Small models still copy words from the instructions, reuse another theme's name or answer a sentence, so a
label is accepted only when
- it is short and does not repeat the prompt's own wording,
- its key terms (content words; for Chinese, character bigrams) occur in the theme's member texts, and
- its embedding (the workspace's embedding model, the one the texts were clustered with) lies nearer this
  theme's centroid than any other theme's.
A label that fails is asked for once more, with the reason; then the theme is named from its c-TF-IDF
keywords, a label that passes the same checks by construction (or as near as the keywords allow).
Each theme records how its label was obtained: user, llm, llm-retry or keywords.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations

import numpy as np

from apps.accounts.models import Workspace
from apps.embeddings.backends import get_backend
from apps.llm.gateway import Gateway, LLMRequest, LLMResult
from apps.llm.prompts import APPS_DIR, DATA_RULES

from .clustering import tokens
from .models import AnalysisRun
from .schemas import ThemeAnalysis, ThemeLabel

THEME_PROMPT = ("insights/theme", 2)
LABEL_PROMPT = ("insights/theme_label", 1)
LABEL_MAX_CHARS = 48
LABEL_MAX_WORDS = 7
NEIGHBOURS = 3  # nearest other themes whose keywords the model sees
NEIGHBOUR_KEYWORDS = 5
HAN_GROUNDED_SHARE = 0.5  # Chinese bigrams that span two words ("机除") occur nowhere: half must occur
RETRY_TEMPERATURE = 0.7
# A label made only of words the texts of this share of themes use names the corpus, not the theme...
COMMON_THEME_SHARE = 0.75
# ...unless this theme's texts use them this many times as often as the other themes' texts do.
DISTINCT_LIFT = 1.5
# A name of the product description counts as the product's when this share of the themes' texts use it.
PRODUCT_NAME_THEME_SHARE = 0.5

USER, LLM, LLM_RETRY, KEYWORDS = "user", "llm", "llm-retry", "keywords"

# Words that make a label read like a label without saying anything about the texts: not key terms.
GENERIC_LABEL_WORDS = frozenset(
    "theme themes topic topics issue issues problem problems complaint complaints concern concerns feedback "
    "customer customers user users people review reviews comment comments opinion opinions experience "
    "experiences mention mentions request requests praise general various mixed overall positive negative "
    "related regarding".split()
)
GENERIC_LABEL_BIGRAMS = frozenset({"问题", "反馈", "评价", "顾客", "用户", "主题", "投诉", "意见", "相关"})
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORDS = re.compile(r"[a-z0-9\u4e00-\u9fff]+")
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}|</?data[^>]*>")
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)|[。！？]+[”’」』）]*")
_SUFFIXES = ("ings", "ing", "ies", "ied", "es", "ed", "ly", "s")


@dataclass
class ThemeFacts:
    """What naming needs to know of one theme of the run."""

    keywords: list[str]
    centroid: np.ndarray  # unit vector, same embedding model as `embed`
    texts: list[str]  # every member's text: the grounding corpus
    quotes: list[dict] = field(default_factory=list)  # what the model is shown: {"id", "text"}
    fixed_label: str | None = None  # a name a person chose: kept as it is

    def __post_init__(self) -> None:
        self.centroid = np.asarray(self.centroid, dtype=np.float32)
        self._per_text = [set(tokens(text)) for text in self.texts]
        self._vocabulary = set().union(*self._per_text)
        self._joined = "\n".join(self.texts)

    def has_term(self, term: str) -> bool:
        if _HAN_RUN.fullmatch(term):
            return term in self._joined
        return _uses(self._vocabulary, term)

    def share_using(self, term: str) -> float:
        """The share of the theme's texts that use the term (0 for a theme without texts)."""
        if not self.texts:
            return 0.0
        if _HAN_RUN.fullmatch(term):
            return sum(term in text for text in self.texts) / len(self.texts)
        return sum(_uses(words, term) for words in self._per_text) / len(self.texts)


@dataclass
class NamedTheme:
    label: str
    source: str  # user, llm, llm-retry, keywords
    rejected: list[str] = field(default_factory=list)  # "'label': reason" for each refused answer


# --- the checks ----------------------------------------------------------------------------------------

def _stem(word: str) -> str:
    """Crude English suffix stripping, enough for "delays" to find "delayed" (never under 4 letters)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _uses(words: set[str], term: str) -> bool:
    stem = _stem(term)
    return term in words or any(w.startswith(stem) for w in words)


def key_terms(label: str) -> list[str]:
    """Content words of a label (stopwords and label filler such as "issues" left out); Chinese bigrams."""
    terms = [t for t in tokens(label) if t not in GENERIC_LABEL_WORDS and t not in GENERIC_LABEL_BIGRAMS]
    return list(dict.fromkeys(terms))


def missing_terms(label: str, theme: ThemeFacts) -> list[str]:
    """Key terms of the label that the theme's texts never use (Chinese: only when most bigrams are absent)."""
    terms = key_terms(label)
    words = [t for t in terms if not _HAN_RUN.fullmatch(t)]
    bigrams = [t for t in terms if _HAN_RUN.fullmatch(t)]
    missing = [w for w in words if not theme.has_term(w)]
    absent = [b for b in bigrams if not theme.has_term(b)]
    if bigrams and len(bigrams) - len(absent) < HAN_GROUNDED_SHARE * len(bigrams):
        missing.extend(absent)
    return missing


@cache
def instruction_words(*prompts: tuple[str, int]) -> tuple[str, ...]:
    """The fixed wording of the given prompt files (data placeholders left out), as a word sequence."""
    text = DATA_RULES
    for name, version in prompts:
        app, _, prompt = name.partition("/")
        text += "\n" + (APPS_DIR / app / "prompts" / f"{prompt}.v{version}.md").read_text(encoding="utf-8")
    return tuple(_WORDS.findall(_PLACEHOLDER.sub(" ", text).lower()))


def copies_prompt(label: str, prompts: Sequence[tuple[str, int]] = (THEME_PROMPT, LABEL_PROMPT)) -> bool:
    """The label repeats instruction text: three words in a row from a prompt, or the whole short label."""
    words = _WORDS.findall(label.lower())
    if not words:
        return False
    haystack = " " + " ".join(instruction_words(*prompts)) + " "
    size = min(3, len(words))
    return any(f" {' '.join(words[i:i + size])} " in haystack for i in range(len(words) - size + 1))


def corpus_wide_terms(label: str, index: int, themes: Sequence[ThemeFacts]) -> list[str]:
    """The label's key terms when every one of them is the corpus's, not the theme's ([] otherwise): used by
    the texts of most themes, and not markedly more often by this theme's texts than by the others'. The
    product's name is such a word ("Our Lumo Experience" was accepted in the demo while a Chinese theme lacked
    "Lumo", so "every theme" was too strict); "battery" in "Battery drain" is not, when the theme's texts use it
    far more often than the rest, even though most themes mention the battery somewhere."""
    terms = key_terms(label)
    if len(themes) < 3 or not terms:
        return []
    def corpus_wide(term: str) -> bool:
        users = [t for t in themes if t.has_term(term)]
        if len(users) < COMMON_THEME_SHARE * len(themes):
            return False
        # Compared with the other themes that use it: a theme in another language must not dilute the rate.
        others = [t for t in users if t is not themes[index]]
        size = sum(len(t.texts) for t in others)
        elsewhere = sum(t.share_using(term) * len(t.texts) for t in others) / max(size, 1)
        return themes[index].share_using(term) < DISTINCT_LIFT * elsewhere

    return terms if all(corpus_wide(term) for term in terms) else []


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][A-Za-z0-9]{1,30}")


def product_names(product_context: str) -> frozenset[str]:
    """The names in the workspace's product description ("Lumo sells the Lumo Lamp ... and the Lumo App":
    lumo, lamp, app), as key terms: the capitalised words that do not open a sentence, plus a sentence's first
    word when it is capitalised elsewhere too. A label made only of them names the product, not a theme."""
    text = " ".join((product_context or "").split())
    named = {m.group(0) for m in _NAME.finditer(text)}
    openers = {m.group(1) for m in re.finditer(r"(?:^|[.!?]\s)([A-Z][A-Za-z0-9]{1,30})", text)}
    return frozenset(t for word in named | (openers & named) for t in tokens(word))


def names_only_the_product(label: str, names: frozenset[str], themes: Sequence[ThemeFacts]) -> list[str]:
    """The label's key terms when all of them are the product's names, used across the corpus ("Our Lumo
    Experience", "Lumo Lamp"): a reader learns nothing about what this theme's texts say. [] otherwise. A name
    the description mentions but half the themes never use ("Bluetooth" in "Bluetooth issues") is a subject,
    not the product."""
    terms = key_terms(label)

    def the_products(term: str) -> bool:
        return term in names and sum(t.has_term(term) for t in themes) >= PRODUCT_NAME_THEME_SHARE * len(themes)

    return terms if names and terms and all(the_products(t) for t in terms) else []


def nearest_theme(vector: np.ndarray, themes: Sequence[ThemeFacts]) -> int:
    return int(np.argmax(np.vstack([t.centroid for t in themes]) @ vector))


def label_problem(label: str, index: int, themes: Sequence[ThemeFacts], vector: np.ndarray,
                  names: frozenset[str] = frozenset()) -> str | None:
    """Why this label cannot name theme `index` (None: it can). `vector` is the label's embedding; `names`,
    the product's (`product_names`)."""
    label = " ".join(label.split())
    if not label:
        return "the label is empty"
    if len(label) > LABEL_MAX_CHARS or len(label.split()) > LABEL_MAX_WORDS:
        return f"the label is too long: use 2-6 words (at most {LABEL_MAX_CHARS} characters)"
    if copies_prompt(label):
        return "the label repeats words of the instructions instead of naming what the texts say"
    if not key_terms(label):
        return "the label says nothing specific about these texts"
    if product := names_only_the_product(label, names, themes):
        return (f"the label only names the product ({', '.join(product)}); name what these texts say about it")
    if missing := missing_terms(label, themes[index]):
        return f"these words of the label occur in none of the theme's texts: {', '.join(missing)}"
    if common := corpus_wide_terms(label, index, themes):
        return (f"most themes' texts use these words as often as this one's ({', '.join(common)}); "
                "name what sets this theme apart")
    nearest = nearest_theme(vector, themes)
    if nearest != index:
        return ("the label fits another theme better (its keywords: "
                f"{', '.join(themes[nearest].keywords[:NEIGHBOUR_KEYWORDS])}); name what sets this theme apart")
    return None


def grounded(label: str, index: int, themes: Sequence[ThemeFacts], embed: Callable[[list[str]], np.ndarray]) -> bool:
    """The whole grounding check for one label, as the quality harness counts it."""
    return label_problem(label, index, themes, embed([label])[0]) is None


# --- summaries -----------------------------------------------------------------------------------------

def complete_sentences(text: str) -> str:
    """The text up to its last complete sentence ("" when none is complete): a cut answer is not shown."""
    text = " ".join(text.split())
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]].strip() if ends else ""


# --- the keyword label -----------------------------------------------------------------------------------

def _phrases(theme: ThemeFacts) -> list[str]:
    """Keywords as phrases: overlapping Chinese bigrams that occur together are joined ("咖啡"+"啡机")."""
    keywords = list(theme.keywords)
    phrases: list[str] = []
    used: set[str] = set()
    for keyword in keywords:
        if keyword in used:
            continue
        used.add(keyword)
        phrase = keyword
        grown = bool(_HAN_RUN.fullmatch(keyword))
        while grown:
            grown = False
            for other in keywords:
                if other in used or not _HAN_RUN.fullmatch(other):
                    continue
                if other[0] == phrase[-1] and phrase + other[1:] in theme._joined:
                    phrase, grown = phrase + other[1:], True
                elif other[-1] == phrase[0] and other[:-1] + phrase in theme._joined:
                    phrase, grown = other[:-1] + phrase, True
                if grown:
                    used.add(other)
                    break
        if not any(_same_word(phrase, earlier) for earlier in phrases):  # "gear" after "gears": no news
            phrases.append(phrase)
    return phrases


def _same_word(a: str, b: str) -> bool:
    if _HAN_RUN.fullmatch(a) or _HAN_RUN.fullmatch(b):
        return a == b
    a, b = _stem(a), _stem(b)
    return a == b or (min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a)))


def keyword_candidates(theme: ThemeFacts) -> list[str]:
    """Keyword labels to try, most telling first: the top 3, 2 and 1 phrases, then other small sets."""
    phrases = _phrases(theme)[:6]
    ordered = [phrases[:3], phrases[:2], phrases[:1]]
    ordered += [list(c) for size in (2, 3) for c in combinations(phrases, size)]
    labels = [" · ".join(p) for p in ordered if p]
    return [label for label in dict.fromkeys(labels) if len(label) <= LABEL_MAX_CHARS]


def keyword_label(index: int, themes: Sequence[ThemeFacts], embed: Callable[[list[str]], np.ndarray],
                  taken: set[str], names: frozenset[str] = frozenset()) -> str:
    """The first keyword label that passes the checks and is free; else the one nearest its own theme."""
    candidates = [c for c in keyword_candidates(themes[index]) if c.lower() not in taken]
    if not candidates:
        return f"Theme {index + 1}"
    vectors = embed(candidates)
    for label, vector in zip(candidates, vectors, strict=True):
        if label_problem(label, index, themes, vector, names) is None:
            return label
    centroids = np.vstack([t.centroid for t in themes])
    similarity = vectors @ centroids.T
    own = similarity[:, index].copy()
    similarity[:, index] = -np.inf
    margin = own - similarity.max(axis=1) if len(themes) > 1 else own
    return candidates[int(np.argmax(margin))]


# --- unique names ----------------------------------------------------------------------------------------

def _distinguishing_keyword(index: int, other: int | None, label: str, themes: Sequence[ThemeFacts]) -> str | None:
    """A keyword of this theme that the theme holding the same name does not have and that a tenth of
    this theme's texts use: a qualifier people can read, not a stray product code."""
    own = themes[index]
    theirs = set(themes[other].keywords) if other is not None else set()
    for phrase in _phrases(own):
        if phrase.lower() in label.lower() or phrase in theirs:
            continue
        users = sum(1 for text in own.texts if phrase in text.lower() or phrase in text)
        if users >= max(2, 0.1 * len(own.texts)):
            return phrase
    return None


def make_unique(named: list[NamedTheme | None], themes: Sequence[ThemeFacts], order: list[int],
                embed: Callable[[list[str]], np.ndarray]) -> None:
    """Largest theme first keeps a shared name; a later one adds a keyword that sets it apart, or takes
    its keyword label. Names people chose are never changed."""
    holder: dict[str, int] = {}
    for index in sorted(order, key=lambda i: named[i] is None or named[i].source != USER):
        entry = named[index]
        if entry is None:
            continue
        key = entry.label.lower()
        if key in holder and entry.source != USER:
            keyword = _distinguishing_keyword(index, holder[key], entry.label, themes)
            candidate = f"{entry.label} ({keyword})" if keyword else ""
            if not candidate or len(candidate) > LABEL_MAX_CHARS or candidate.lower() in holder:
                candidate, entry.source = keyword_label(index, themes, embed, set(holder)), KEYWORDS
            entry.label = candidate
            key = candidate.lower()
        holder.setdefault(key, index)


# --- the requests ----------------------------------------------------------------------------------------

def neighbour_keywords(index: int, themes: Sequence[ThemeFacts]) -> list[list[str]]:
    """Keywords of the nearest other themes (by centroid): what this theme's label must not be about."""
    if len(themes) < 2:
        return []
    similarity = np.vstack([t.centroid for t in themes]) @ themes[index].centroid
    similarity[index] = -np.inf
    nearest = [int(i) for i in np.argsort(-similarity)[:NEIGHBOURS] if np.isfinite(similarity[i])]
    return [themes[i].keywords[:NEIGHBOUR_KEYWORDS] for i in nearest]


def theme_request(index: int, themes: Sequence[ThemeFacts], product_context: str) -> LLMRequest:
    """The one request per theme: label, summary and findings, with the neighbours' keywords for contrast."""
    theme = themes[index]
    return LLMRequest(*THEME_PROMPT, {
        "product_context": product_context, "keywords": theme.keywords,
        "neighbour_keywords": neighbour_keywords(index, themes), "texts": theme.quotes,
    }, ThemeAnalysis, max_tokens=450)


def label_request(index: int, themes: Sequence[ThemeFacts], rejected: str, reason: str) -> LLMRequest:
    """The second chance: a label only, told why the first one was refused (sampled: a new answer)."""
    theme = themes[index]
    return LLMRequest(*LABEL_PROMPT, {
        "rejected_label": rejected, "reason": reason, "keywords": theme.keywords,
        "neighbour_keywords": neighbour_keywords(index, themes), "texts": theme.quotes,
    }, ThemeLabel, max_tokens=40, temperature=RETRY_TEMPERATURE, seed=1)


def name_themes(themes: Sequence[ThemeFacts], proposals: Sequence[str | None],
                embed: Callable[[list[str]], np.ndarray], *, gateway: Gateway | None = None,
                workspace: Workspace | None = None, names: frozenset[str] = frozenset(),
                ) -> tuple[list[NamedTheme], int]:
    """A checked, unique label for every theme, from the model's `proposals` (None: the model gave none),
    one retry through `gateway` for refused ones, then keywords. Returns the names and the model calls."""
    named: list[NamedTheme | None] = [NamedTheme(t.fixed_label, USER) if t.fixed_label is not None else None
                                      for t in themes]
    refused: dict[int, list[str]] = {}  # index -> "'label': reason" of each refused answer
    last: dict[int, tuple[str, str]] = {}  # index -> the latest refused label and why

    def check(answers: dict[int, str], source: str) -> None:
        for i, vector in zip(answers, embed(list(answers.values())), strict=True):
            reason = label_problem(answers[i], i, themes, vector, names)
            if reason is None:
                named[i] = NamedTheme(answers[i], source, refused.get(i, []))
            else:
                refused.setdefault(i, []).append(f"'{answers[i]}': {reason}")
                last[i] = (answers[i], reason)

    first = {i: _clean(p) for i, p in enumerate(proposals) if named[i] is None and p and _clean(p)}
    if first:
        check(first, LLM)
    calls = 0
    if last and gateway is not None:
        slots = list(last)
        outcomes = gateway.run_many([label_request(i, themes, *last[i]) for i in slots], workspace=workspace,
                                    feature="insights")
        calls = sum(1 for o in outcomes if isinstance(o, LLMResult) and not o.cached)
        second = {i: _clean(o.output.label) for i, o in zip(slots, outcomes, strict=True)
                  if isinstance(o, LLMResult) and _clean(o.output.label)}
        if second:
            check(second, LLM_RETRY)
    taken = {n.label.lower() for n in named if n is not None}
    for i in range(len(themes)):
        if named[i] is None:
            named[i] = NamedTheme(keyword_label(i, themes, embed, taken, names), KEYWORDS, refused.get(i, []))
            taken.add(named[i].label.lower())
    order = sorted(range(len(themes)), key=lambda i: -len(themes[i].texts))
    make_unique(named, themes, order, embed)
    return named, calls  # type: ignore[return-value]


def _clean(label: str) -> str:
    """The model's label as a reader's words: a code model writes "bike_issues" for "Bike issues"."""
    label = " ".join(str(label).replace("_", " ").split()).strip(" .:;\"'")
    first = label.split(" ", 1)[0]
    return label[:1].upper() + label[1:] if first.islower() else label  # "iPhone", "eBay" stay as they are


def naming_notes(named: Sequence[NamedTheme]) -> list[str]:
    """The run's notes: how many labels came from where, and each refused label with its reason."""
    counts = {s: sum(1 for n in named if n.source == s) for s in (LLM, LLM_RETRY, KEYWORDS)}
    notes = [f"theme labels: {counts[LLM]} named by the model, {counts[LLM_RETRY]} on a second try, "
             f"{counts[KEYWORDS]} from keywords (fallbacks: {counts[KEYWORDS]})"]
    for n in named:
        if n.source in (LLM_RETRY, KEYWORDS):
            detail = "; ".join(n.rejected) if n.rejected else "the model gave no label"
            notes.append(f"theme '{n.label}' ({n.source}): refused {detail}")
    return notes


def settle_analyses(analyses: list[ThemeAnalysis | None], themes: Sequence[ThemeFacts], model_name: str,
                    gateway: Gateway, run: AnalysisRun, product_context: str = "") -> int:
    """Give each described theme a checked, unique label and a summary of whole sentences, note how each
    label was obtained in the run's notes, and return the model calls the retries made."""
    described = [i for i, a in enumerate(analyses) if a is not None]
    if not described:
        return 0
    embed = get_backend(model_name).encode  # the texts' own embedding model: labels land in their space
    proposals = [a.label if a is not None else None for a in analyses]
    named, calls = name_themes(themes, proposals, embed, gateway=gateway, workspace=run.workspace,
                               names=product_names(product_context))
    for i in described:
        analysis = analyses[i]
        assert analysis is not None
        analysis.label = named[i].label
        analysis.summary = complete_sentences(analysis.summary)
    run.notes = [*run.notes, *naming_notes([named[i] for i in described if named[i].source != USER])]
    return calls
