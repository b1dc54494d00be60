"""Does a cited text support the claim that cites it? Pure checks over plain data, no database, no model.

The model proposes findings and cites text ids; existence of an id proves nothing. Each kind of claim needs
its own kind of support: a pain point cites negative texts of its theme, praise cites positive ones, a
feature request cites texts that ask for something, a competitor claim cites texts that name the competitor,
an idea or opportunity cites pain or requests and never says that a requested feature already exists.
Citations that do not support their claim are removed; a claim left without support is dropped; what was
removed is counted so the run can say so in its notes.

The per-text signals (sentiment, intent) come from `TextAnalysis`, whichever classifier wrote them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .comparisons import favours_another

PAIN, PRAISE, REQUEST, COMPETITOR, OPPORTUNITY, IDEA = (
    "pain_point", "praise", "feature_request", "competitor", "opportunity", "product_idea")

NEGATIVE_LIKE = ("negative", "mixed")  # a mixed text (5 stars, "stopped working") still carries a pain
MIN_SCORE = 0.1  # a sentiment this close to 0 is a guess: it supports neither a pain nor a praise

# A text asks for something: the classifier's intent, or one of these cues (English and Chinese).
REQUEST_CUES = re.compile(
    r"\b(please (add|make|bring|let|give|support)|(would|'d) (love|like|be (great|nice|good))|i wish|wish (it|there|"
    r"you|they)|if only|feature request|could you (add|make)|can you (add|make)|should (add|have|support|come|offer)|"
    r"(?<!no )needs? (a|an|some|more)|hope you add|add support|it'd be nice|why (is there|isn't there|can't i|no)|"
    r"there'?s no|there is no|no way to|doesn'?t (have|support|offer)|lacks?|missing|want(ed)? (a|an|to be able))\b"
    r"|希望|建议|能不能|能否|要是有|如果有|期待|增加|加个|加一个|支持一下",
    re.IGNORECASE,
)

# What follows a request cue is what is asked for ("please add [USB-C charging]").
_ASKED = re.compile(
    r"\b(?:please (?:add|make|bring)|add(?:ing)? support for|add|wish (?:it|there|they|you|the \w+|my \w+) "
    r"(?:had|has|was|were|would have|came with|supported)|"
    r"i wish for|would love|'d love|would like|need(?:s)?|should (?:have|add|support|come with|offer)|"
    r"doesn'?t (?:have|support|offer)|lacks?|missing|there'?s no|there is no|is there no|isn'?t there|no way to|"
    r"if only it had|"
    r"want(?:ed)?)\s+(?:an?\s+|the\s+|some\s+|more\s+|proper\s+|real\s+|to\s+)?([^.,;:!?()\n]{2,60})",
    re.IGNORECASE,
)
_STOP = frozenset(
    "a an the and or but to of for in on at by with it its it's is are be was were this that these those my our "
    "your their i we you they me us them so too very really just please add have has had get got some any more "
    "also then than there here would could should will can like love want need wish option way ability feature "
    "support thing things product lamp app device one no not every".split())
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+\-]*[A-Za-z0-9+]|[A-Za-z0-9]")
# Wording that presents something as already there ("the lamp has", "with its", "thanks to the existing").
_PRESENT = re.compile(
    r"(?<!should )(?<!could )(?<!would )(?<!will )(?<!to )(?<!must )(?<!might )(?<!may )(?<!can )"
    r"\b(has|have|with its|with their|with our|its|their|comes with|come with|equipped with|featuring|"
    r"features|includes|thanks to|built-in|existing|current|already)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(no|not|lacks?|lacking|without|missing|never|yet|n't)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TextFacts:
    """What the checks know of one customer text."""

    text: str
    sentiment: str = ""
    intent: str = ""
    score: float | None = None  # -1 .. 1; None when unknown
    theme_id: int | None = None


@dataclass
class SupportCount:
    """Citations seen and kept, claims seen and dropped, over one or more checks."""

    citations: int = 0
    supported: int = 0
    claims: int = 0
    claims_dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def citations_dropped(self) -> int:
        return self.citations - self.supported

    def add(self, other: SupportCount) -> None:
        self.citations += other.citations
        self.supported += other.supported
        self.claims += other.claims
        self.claims_dropped += other.claims_dropped
        for reason, n in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + n

    def as_dict(self) -> dict:
        return {"citations": self.citations, "supported": self.supported,
                "citations_dropped": self.citations_dropped, "claims": self.claims,
                "claims_dropped": self.claims_dropped, "reasons": dict(self.reasons)}


def is_request(facts: TextFacts) -> bool:
    return facts.intent == "feature_request" or bool(REQUEST_CUES.search(facts.text))


def _clear(facts: TextFacts) -> bool:
    return facts.score is None or facts.sentiment == "mixed" or abs(facts.score) >= MIN_SCORE


def is_pain(facts: TextFacts) -> bool:
    return facts.sentiment in NEGATIVE_LIKE and _clear(facts)


def is_praise(facts: TextFacts) -> bool:
    mixed_praise = facts.sentiment == "mixed" and facts.intent == "praise"  # "great sound, weak battery"
    return _clear(facts) and (facts.sentiment == "positive" or mixed_praise) and not favours_another(facts.text)


def names(text: str, name: str) -> bool:
    """The text names `name` (case-insensitive, whole words: "Hue" is not in "huge")."""
    name = " ".join(name.split())
    if not name:
        return False
    if re.search(r"[\u4e00-\u9fff]", name):
        return name in text
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text, re.IGNORECASE) is not None


def supports(kind: str, facts: TextFacts, *, theme_id: int | None = None, competitor: str = "") -> bool:
    """Whether one cited text supports one claim of `kind` (about `theme_id`, or naming `competitor`)."""
    if theme_id is not None and kind in (PAIN, PRAISE, REQUEST) and facts.theme_id != theme_id:
        return False
    if kind == PAIN:
        return is_pain(facts)
    if kind == PRAISE:
        return is_praise(facts)
    if kind == REQUEST:
        return is_request(facts)
    if kind == COMPETITOR:
        return names(facts.text, competitor)
    if kind in (OPPORTUNITY, IDEA):  # where to win: what hurts or what is missing
        return is_pain(facts) or is_request(facts)
    raise ValueError(f"unknown claim kind {kind!r}")


def check_findings(findings: list, kind: str, texts: dict[int, TextFacts], *, theme_id: int | None = None,
                   requested: list[str] | None = None) -> tuple[list, SupportCount]:
    """Keep each finding's supporting citations (in place); drop findings left without one, and ideas that
    present a requested feature as existing. Works on any object with `evidence` (and `title`/`detail`, and
    `name` for competitor findings)."""
    count = SupportCount()
    kept = []
    for finding in findings:
        count.claims += 1
        cited = list(dict.fromkeys(finding.evidence))
        competitor = getattr(finding, "name", "") if kind == COMPETITOR else ""
        good = [i for i in cited if i in texts and supports(kind, texts[i], theme_id=theme_id, competitor=competitor)]
        count.citations += len(cited)
        count.supported += len(good)
        claimed = claims_present(f"{getattr(finding, 'title', '')}. {getattr(finding, 'detail', '')}",
                                 requested or []) if kind in (OPPORTUNITY, IDEA) else ""
        if claimed:
            count.claims_dropped += 1
            count.reasons["claims a requested feature exists"] = count.reasons.get(
                "claims a requested feature exists", 0) + 1
            count.supported -= len(good)  # its citations go with it: nothing of it is stored
            continue
        if not good:
            count.claims_dropped += 1
            count.reasons["no supporting text"] = count.reasons.get("no supporting text", 0) + 1
            continue
        finding.evidence = good
        kept.append(finding)
    return kept, count


# --- requested features ----------------------------------------------------------------------------------

def _content_tokens(phrase: str) -> list[str]:
    tokens = []
    for token in _TOKEN.findall(phrase):
        if token.lower() in _STOP:
            if tokens:
                break  # "USB-C charging on the lamp": the asked-for thing ends at the first small word
            continue
        tokens.append(token)
        if len(tokens) == 3:
            break
    return tokens


def requested_features(texts: list[str]) -> list[str]:
    """Key phrases of what request texts ask for, lowercased: the phrase after a cue ("please add [usb-c
    charging]") with its distinctive words (a word with a digit, a hyphen or a capital: "usb-c"; a plain word
    alone, "charging", would catch too much), and every pair of adjacent content words ("wireless charging"),
    since requests are often phrased without a cue ("no wireless charging?")."""
    keys: set[str] = set()
    for text in texts:
        for match in _ASKED.finditer(text):
            tokens = _content_tokens(match.group(1))
            if not tokens:
                continue
            keys.add(" ".join(tokens).lower())
            marked = [t for t in tokens if re.search(r"[0-9\-+]|[A-Z]", t[1:]) or (t.isupper() and len(t) > 1)]
            keys.update(t.lower() for t in marked)
        words = [w.lower() for w in _TOKEN.findall(text)]
        for first, second in zip(words, words[1:]):
            if first not in _STOP and second not in _STOP and not first.isdigit() and not second.isdigit():
                keys.add(f"{first} {second}")
    return sorted(k for k in keys if len(k) > 2)


def claims_present(text: str, requested: list[str]) -> str:
    """The requested feature `text` presents as already there ("the lamp has USB-C", "with its USB-C port"),
    or "" when it does not. A proposal ("add USB-C", "a version that should have USB-C") is fine."""
    for key in requested:
        key_re = re.escape(key)
        for cue in _PRESENT.finditer(text):
            tail = text[cue.end():cue.end() + 60]
            near = re.match(rf"((?:\W+[\w\-+]+){{0,3}}?)\W+{key_re}(?![\w\-])", tail, re.IGNORECASE)
            if near and not _NEGATION.search(near.group(1)):
                return key
    return ""


# --- a whole run -------------------------------------------------------------------------------------------

def check_theme_analyses(analyses: list, theme_ids: list[int], texts: dict[int, TextFacts]) -> SupportCount:
    """Per-theme findings (pain points, feature requests, praise) keep only citations that support them and
    that belong to their theme. Changes `analyses` in place."""
    count = SupportCount()
    for analysis, theme_id in zip(analyses, theme_ids, strict=True):
        if analysis is None:
            continue
        for attribute, kind in (("pain_points", PAIN), ("feature_requests", REQUEST), ("praise", PRAISE)):
            kept, seen = check_findings(getattr(analysis, attribute), kind, texts, theme_id=theme_id)
            setattr(analysis, attribute, kept)
            count.add(seen)
    return count


def check_report(draft, texts: dict[int, TextFacts], requested: list[str]) -> SupportCount:
    """A report's opportunities, product ideas and competitor claims (changes `draft` in place)."""
    count = SupportCount()
    for attribute, kind in (("opportunities", OPPORTUNITY), ("product_ideas", IDEA), ("competitors", COMPETITOR)):
        kept, seen = check_findings(getattr(draft, attribute), kind, texts, requested=requested)
        setattr(draft, attribute, kept)
        count.add(seen)
    return count


def notes_for(count: SupportCount) -> list[str]:
    """The run's notes on what the support checks removed ("3 citations dropped as unsupported, ...")."""
    if not count.citations_dropped and not count.claims_dropped:
        return []
    parts = [f"{count.citations_dropped} of {count.citations} citations dropped as unsupported"]
    if count.claims_dropped:
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(count.reasons.items()))
        parts.append(f"{count.claims_dropped} {'claim' if count.claims_dropped == 1 else 'claims'} dropped ({why})")
    return ["evidence: " + "; ".join(parts)]
