"""Deterministic checks of generated copy. Pure functions: no database, no model, no Django.

- `find_banned`: the brand voice's words to avoid, case-insensitive; Latin words match whole words (with
  common inflections: "cheap" also catches "cheaper"), Chinese terms match as substrings ("最" in "最好").
- `find_unsupported_claims`: superlatives (best, #1, the first, 最, 第一 …), guarantees (guaranteed, risk-free,
  100%, 保证, 永不 …) and numbers/percentages that no source quote (nor the user's own brief) contains.
  A claim is flagged for the user, not removed: the user decides.
- `find_contract_problems`: the contract every generated text keeps (apps/copy/contract.py, shared with
  replies): factual claims (services, prices, shipping, returns, warranties, durations, discounts) nothing the
  user gave supports, placeholders, a customer's voice or words posing as brand copy. Each claim once.
- `segments`, `valid_sources`, `infer_sources`: copy's names for the helpers it shares with replies
  (apps/corpus/highlight.py and citations.py): claims to highlight, and the quotes a text rests on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from apps.corpus import citations, highlight
from apps.corpus.tokens import fold_keeping_offsets, normalise, term_pattern

from . import contract

_LATIN = r"[0-9A-Za-z\u00C0-\u024F]"  # what counts as "inside a word" for Latin-script matching


def find_banned(text: str, words: Iterable[str]) -> list[str]:
    """The banned words (as the brand voice spells them) that occur in `text`."""
    haystack = normalise(text)
    found = []
    for word in words:
        pattern = term_pattern(word)
        if pattern is not None and pattern.search(haystack) and word not in found:
            found.append(word)
    return found


# --- unsupported claims -------------------------------------------------------------------------------

SUPERLATIVE = "superlative"
GUARANTEE = "guarantee"
NUMBER = "number"
_HEURISTIC_KINDS = frozenset({SUPERLATIVE, NUMBER})

_EN_SUPERLATIVES = [
    r"best", r"greatest", r"biggest", r"fastest", r"cheapest", r"strongest", r"smartest", r"easiest",
    r"lightest", r"brightest", r"safest", r"finest", r"highest", r"lowest", r"longest", r"quietest",
    r"top[- ]rated", r"#\s?1", r"no\.\s?1", r"number[- ]one", r"(?:the|our|world'?s|industry'?s)\s+first",
    r"first[- ]ever", r"the\s+only", r"world[- ]class", r"(?:industry|market)[- ]leading", r"unbeatable",
    r"unmatched", r"unrivall?ed", r"unparall?eled", r"ultimate", r"perfect(?:ly)?", r"revolutionary",
    r"(?:most|least)\s{1,3}[a-z]{3,30}",
]
_EN_GUARANTEES = [
    r"guarantee[sd]?", r"guaranteeing", r"promise[sd]?", r"risk[- ]free", r"no[- ]risk", r"zero[- ]risk",
    r"money[- ]back", r"lifetime\s+(?:warranty|guarantee|access|support)", r"forever", r"proven", r"clinically",
    r"certified", r"always\s+works", r"never\s+(?:fails?|breaks?|dies|lets\s+you\s+down)", r"100\s?%",
    r"100\s+percent",
]
_ZH_SUPERLATIVES = [
    "最(?![近后初终])[\u4e00-\u9fff]?", "第一(?!次)", "唯一", "首个", "首款", "首家", "首创", "顶级", "顶尖", "极致",
    "无与伦比", "无可比拟", "史上", "全网", "领先", "世界级", "国家级", "王牌", "冠军", "独家", "万能", "完美",
]
_ZH_GUARANTEES = [
    "保证", "确保", "承诺", "永久", "永不", "零风险", "无风险", "绝对", "包退", "包换", "无效退款", "百分百",
    "立竿见影",
]

_EN_CLAIM_RE = [
    (SUPERLATIVE, re.compile(rf"(?<!{_LATIN})(?:{'|'.join(_EN_SUPERLATIVES)})(?!{_LATIN})")),
    (GUARANTEE, re.compile(rf"(?<!{_LATIN})(?:{'|'.join(_EN_GUARANTEES)})(?!{_LATIN})")),
]
_ZH_CLAIM_RE = [
    (SUPERLATIVE, re.compile("|".join(_ZH_SUPERLATIVES))),
    (GUARANTEE, re.compile("|".join(_ZH_GUARANTEES))),
]

# Arabic numbers (with thousands separators and decimals), optionally a percentage or a multiplier.
_NUMBER_RE = re.compile(
    r"(?<![0-9.,])(\d{1,3}(?:,\d{3}){1,6}|\d{1,30})(?:\.(\d{1,30}))?(\s?(?:%|percent|x(?![a-z])|×|倍|成))?(?!\d)",
    re.IGNORECASE)
# Chinese numerals used as multipliers or shares ("三倍", "八成"): the number claims of Chinese copy.
_ZH_NUMERAL_RE = re.compile(r"(?<![零一二两三四五六七八九十百])([零一二两三四五六七八九十百]{1,8})(倍|成(?!不变)|折)")
_EN_MULTIPLIER_RE = re.compile(
    rf"(?<!{_LATIN})(twice|double|triple|half|(two|three|four|five|ten)\s+times)(?!{_LATIN})")
_EN_MULTIPLIERS = {"twice": 2, "double": 2, "triple": 3, "half": 0.5, "two": 2, "three": 3, "four": 4, "five": 5,
                   "ten": 10}

REASONS = {
    SUPERLATIVE: "A superlative no customer quote says. Back it up or soften it.",
    GUARANTEE: "A guarantee or absolute promise no customer quote makes. Check you can honour it.",
    NUMBER: "A number that appears in no customer quote and not in your brief. Check it is true.",
}


@dataclass(frozen=True)
class Claim:
    kind: str  # superlative, guarantee, number
    text: str  # the words as they appear in the copy
    start: int
    end: int
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def numbers_in(text: str) -> list[tuple[float, int, int]]:
    """(value, start, end) of every number in the text (NFKC-normalised offsets equal the original's for
    the characters we match, except full-width digits; we scan the normalised text and map back by length)."""
    found: list[tuple[float, int, int]] = []
    for m in _NUMBER_RE.finditer(text):
        whole = m.group(1).replace(",", "")
        value = float(f"{whole}.{m.group(2)}" if m.group(2) else whole)
        found.append((value, m.start(), m.end()))
    for m in _ZH_NUMERAL_RE.finditer(text):
        value = contract.zh_numeral_value(m.group(1))  # the one reader of Chinese numerals (replies use it too)
        if value is not None:
            found.append((float(value), m.start(), m.end()))
    for m in _EN_MULTIPLIER_RE.finditer(text):
        word = (m.group(2) or m.group(1)).lower()
        found.append((float(_EN_MULTIPLIERS[word]), m.start(), m.end()))
    return found


def find_unsupported_claims(text: str, sources: Iterable[str], brief_facts: Iterable[str] = ()) -> list[Claim]:
    """Superlatives, guarantees and numbers in `text` that none of the `sources` (customer quotes) supports.

    A superlative or guarantee is supported when a source uses the same words; a number when a source or the
    user's own brief (`brief_facts`: product name, goal, key message) contains the same value."""
    source_list = [s for s in sources if s]
    folded_sources = [fold_keeping_offsets(s) for s in source_list]
    haystack = fold_keeping_offsets(text)
    claims: list[Claim] = []
    for kind, pattern in [*_EN_CLAIM_RE, *_ZH_CLAIM_RE]:
        for m in pattern.finditer(haystack):
            words = re.sub(r"\s+", " ", m.group(0).strip())
            if not words or any(words in s for s in folded_sources):
                continue
            claims.append(Claim(kind, text[m.start():m.end()], m.start(), m.end(), REASONS[kind]))
    known = {round(v, 6) for s in [*folded_sources, *(fold_keeping_offsets(f) for f in brief_facts)]
             for v, _, _ in numbers_in(s)}
    for value, start, end in numbers_in(haystack):
        if round(value, 6) not in known:
            claims.append(Claim(NUMBER, text[start:end], start, end, REASONS[NUMBER]))
    return highlight.without_overlaps(claims)


def find_contract_problems(text: str, support: contract.Support, customer_texts: Iterable[str] = (),
                           seen: set | None = None) -> list[Claim]:
    """Unsupported factual claims, placeholders and a customer's voice in `text`. `seen` (shared across a
    variant's fields) keeps each claim to one flag."""
    seen = set() if seen is None else seen
    found = [*contract.find_unsupported_facts(text, support, seen), *contract.find_placeholders(text),
             *contract.find_customer_voice(text, customer_texts)]
    return [Claim(f.kind, f.text, f.start, f.end, f.reason) for f in found]


def merge_claims(*groups: Iterable[Claim], seen: set | None = None) -> list[Claim]:
    """Claims from several checks by position, one of two overlapping ones kept, and a claim already
    flagged (same kind and words, in `seen`) not flagged again."""
    seen = set() if seen is None else seen
    claims = [c for group in groups for c in group]
    # A contract finding (an unsupported fact such as "30-day returns", a placeholder, a customer's words) says
    # more than a bare number or superlative inside it: where they overlap, the finding's flag is kept,
    # whichever starts first.
    findings = highlight.without_overlaps([c for c in claims if c.kind not in _HEURISTIC_KINDS])
    heuristic = [c for c in claims if c.kind in _HEURISTIC_KINDS
                 and not any(c.start < f.end and f.start < c.end for f in findings)]
    kept = []
    for claim in sorted([*findings, *highlight.without_overlaps(heuristic)], key=lambda c: c.start):
        key = ("text", claim.kind, " ".join(normalise(claim.text).split()))
        if key in seen and claim.kind not in contract.FACT_KINDS:
            continue
        seen.add(key)
        kept.append(claim)
    return kept


def segments(text: str, claims: Iterable[dict | Claim]) -> list[dict]:
    """`text` split into consecutive pieces: {"text": ..., "claim": None or the claim dict}."""
    return highlight.segments(text, claims, key="claim")


# --- grounding --------------------------------------------------------------------------------------

def valid_sources(cited: Iterable[int], allowed: Iterable[int]) -> list[int]:
    """The cited ids that were among the quotes shown, in citation order, without duplicates."""
    return citations.shown_citations(cited, allowed)


def infer_sources(text: str, quotes: Iterable[tuple[int, str]], limit: int = 3, min_shared: int = 2) -> list[int]:
    """Ids of the quotes sharing the most words (or Chinese character pairs) with `text`, best first."""
    return citations.sharing_most_words(text, quotes, limit, min_shared)
