"""The numbers of a report, computed, and the executive summary built on them.

Volumes, net sentiment, change against the previous run and anomalies are computed here from the run's
theme snapshots; the model is shown them as facts and only phrases and explains. The summary's first
sentences are written here from the facts (largest negative themes, strongest anomaly), so they cannot lead
with a side topic; the model's sentences follow, and any of them that carries a number the facts and texts
do not hold, or a product or brand name no analysed text contains, is dropped and counted.
Pure functions over plain values: the service passes the snapshots and texts in.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from . import trends

LEAD_NEGATIVE_THEMES = 2
BODY_SENTENCES = 3


@dataclass
class ThemeFact:
    theme_id: int
    label: str
    size: int
    share: float
    negative: int
    positive: int
    net_sentiment: float
    change: str  # new, emerging, fading, steady
    previous_size: int | None = None
    previous_negative: int | None = None


@dataclass
class AnomalyFact:
    theme_id: int
    label: str
    week: str
    count: int
    what: str  # "negative texts" or "texts"
    z: float


@dataclass
class ReportFacts:
    texts: int
    themes: list[ThemeFact]
    anomalies: list[AnomalyFact] = field(default_factory=list)

    @property
    def negative_themes(self) -> list[ThemeFact]:
        """Themes most texts of which are unhappy, largest negative volume first."""
        return sorted((t for t in self.themes if t.negative and t.net_sentiment < 0),
                      key=lambda t: (-t.negative, t.net_sentiment, -t.size, t.label))

    def as_dict(self) -> dict:
        return {"texts": self.texts, "themes": [asdict(t) for t in self.themes],
                "anomalies": [asdict(a) for a in self.anomalies]}

    @classmethod
    def from_dict(cls, data: dict) -> ReportFacts:
        return cls(texts=data.get("texts", 0), themes=[ThemeFact(**t) for t in data.get("themes", [])],
                   anomalies=[AnomalyFact(**a) for a in data.get("anomalies", [])])


def compute(snapshots: list, previous: dict[int, tuple[int, int]], total: int) -> ReportFacts:
    """Facts of `snapshots` (ThemeSnapshot-like: theme_id, label, size, share, negative, positive,
    net_sentiment, change, weekly); `previous` maps a theme id to its (size, negative) in the previous run."""
    themes, anomalies = [], []
    for snap in snapshots:
        before = previous.get(snap.theme_id)
        themes.append(ThemeFact(theme_id=snap.theme_id, label=snap.label, size=snap.size, share=snap.share,
                                negative=snap.negative, positive=snap.positive, net_sentiment=snap.net_sentiment,
                                change=snap.change, previous_size=before[0] if before else None,
                                previous_negative=before[1] if before else None))
        for series, what in (({w: v["negative"] for w, v in snap.weekly.items()}, "negative texts"),
                             ({w: v["count"] for w, v in snap.weekly.items()}, "texts")):
            found = trends.spikes(series)
            if found:  # the theme's strongest week in this series
                week, count, z = max(found, key=lambda f: f[2])
                anomalies.append(AnomalyFact(snap.theme_id, snap.label, week, count, what, z))
                break  # a negative spike says more than a volume spike of the same theme
    anomalies.sort(key=lambda a: (-a.z, a.what != "negative texts"))
    return ReportFacts(texts=total, themes=themes, anomalies=anomalies)


def relabel(facts: ReportFacts, labels: dict[int, str]) -> ReportFacts:
    """The same facts under the themes' newest names (the model names themes after the snapshots are made)."""
    for item in (*facts.themes, *facts.anomalies):
        item.label = labels.get(item.theme_id) or item.label
    return facts


def for_prompt(facts: ReportFacts) -> dict:
    """What the model is told: the computed numbers, to phrase and explain, never to recompute."""
    return {
        "texts_analysed": facts.texts,
        "themes_by_negative_volume": [
            {"label": t.label, "texts": t.size, "share_percent": round(100 * t.share), "negative_texts": t.negative,
             "positive_texts": t.positive, "net_sentiment": round(t.net_sentiment), "trend": t.change,
             **({"texts_in_previous_run": t.previous_size} if t.previous_size is not None else {})}
            for t in sorted(facts.themes, key=lambda t: (-t.negative, -t.size))],
        "anomalies": [{"theme": a.label, "week": a.week, "count": a.count, "what": a.what,
                       "standard_deviations_above_usual": a.z} for a in facts.anomalies[:3]],
    }


def lead(facts: ReportFacts, labels: dict[int, str] | None = None) -> str:
    """The summary's first sentences, from the facts alone: the largest negative themes, then the strongest
    anomaly. `labels` gives the themes' final names (a theme may be renamed after the facts were computed)."""
    labels = labels or {}

    def name(theme_id: int, fallback: str) -> str:
        return labels.get(theme_id) or fallback

    sentences = []
    negative = facts.negative_themes[:LEAD_NEGATIVE_THEMES]
    if negative:
        parts = []
        for t in negative:
            change = ""
            if t.previous_negative is not None and t.previous_negative != t.negative:
                change = f", {'up' if t.negative > t.previous_negative else 'down'} from {t.previous_negative}"
            parts.append(f"\"{name(t.theme_id, t.label)}\" ({t.negative} negative of {t.size} texts, "
                         f"net sentiment {t.net_sentiment:+.0f}{change})")
        sentences.append("Most negative feedback is about " + " and ".join(parts) + ".")
    elif facts.themes:
        top = max(facts.themes, key=lambda t: t.size)
        sentences.append(f"No theme is mostly negative; the largest is \"{name(top.theme_id, top.label)}\" "
                         f"({top.size} texts, net sentiment {top.net_sentiment:+.0f}).")
    if facts.anomalies:
        a = facts.anomalies[0]
        sentences.append(f"Anomaly: \"{name(a.theme_id, a.label)}\" had {a.count} {a.what} in {a.week}, "
                         f"{a.z:g} standard deviations above the weeks before.")
    return " ".join(sentences)


def compose(facts: ReportFacts, labels: dict[int, str], body: str) -> str:
    return " ".join(part for part in (lead(facts, labels), body.strip()) if part)


# --- checking the model's sentences ------------------------------------------------------------------------

# A sentence ends at its full stop (or after a closing quote behind it); a Chinese one with or without a space.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'”’)])\s+|(?<=[。！？])\s*|(?<=[。！？][”’」）])\s*")
_FINISHED = re.compile(r"[.!?。！？…][\"'”’)）」]{0,3}$")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?![\w.]*\w)")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’\-+]*|\d+[A-Za-z][A-Za-z0-9\-+]*")
_COMPETITION = re.compile(r"\b(competitors?|competition|rivals?)\b", re.IGNORECASE)
# Capitalised words that are not names, though a sentence may put them mid-sentence.
_NOT_NAMES = frozenset("i i'm i've i'd english chinese european american monday tuesday wednesday thursday "
                       "friday saturday sunday january february march april may june july august september "
                       "october november december ok ai faq".split())


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def join_sentences(parts: list[str]) -> str:
    """Sentences as one text: a space after an English one, none after a Chinese full stop."""
    return "".join(p if i == 0 or parts[i - 1][-1:] in "。！？" else f" {p}" for i, p in enumerate(parts))


def _norm_number(raw: str) -> str:
    value = raw.replace(",", "").lstrip("+")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value


def allowed_numbers(facts: ReportFacts, texts: list[str]) -> set[str]:
    """Every number the model may repeat: the computed ones (and their usual roundings) and those the
    customers wrote (a firmware version, a price)."""
    values: set[float] = {facts.texts}
    for t in facts.themes:
        values.update({t.size, t.negative, t.positive, t.net_sentiment, abs(t.net_sentiment), 100 * t.share})
        values.update(v for v in (t.previous_size, t.previous_negative) if v is not None)
    for a in facts.anomalies:
        values.update({a.count, a.z, *map(int, re.findall(r"\d+", a.week))})
    allowed = set()
    for v in values:
        allowed.update({_norm_number(f"{v:.1f}"), str(round(v)), _norm_number(str(v))})
    for text in texts:
        allowed.update(_norm_number(n) for n in _NUMBER.findall(text))
    return allowed


def invented_numbers(sentence: str, allowed: set[str]) -> list[str]:
    return [n for n in _NUMBER.findall(sentence) if _norm_number(n) not in allowed]


def vocabulary(texts: list[str]) -> set[str]:
    """Lowercased words of the texts a name may come from."""
    return {w.lower().strip("'’") for text in texts for w in _WORD.findall(text)}


def unknown_names(sentence: str, known: set[str]) -> list[str]:
    """Words that look like product or brand names (capitalised mid-sentence, letters mixed with digits, or a
    capitalised pair at the start) and occur in none of the texts."""
    words = [(m.group(0), m.start()) for m in _WORD.finditer(sentence)]
    found = []
    for index, (word, start) in enumerate(words):
        bare = word.strip("'’").lower()
        if bare in known or bare in _NOT_NAMES or bare.removesuffix("'s").removesuffix("’s") in known:
            continue
        mixed = bool(re.search(r"\d", word)) and bool(re.search(r"[A-Za-z]", word))
        capital = word[0].isupper() or any(c.isupper() for c in word[1:])
        at_start = index == 0 or sentence[:start].rstrip().endswith((":", '"', "“", "(", "-"))
        next_capital = index + 1 < len(words) and (words[index + 1][0][0].isupper() or words[index + 1][0][0].isdigit())
        if mixed or (capital and (not at_start or next_capital or any(c.isupper() for c in word[1:]))):
            found.append(word)
    return found


def _names(sentence: str, name: str) -> bool:
    return bool(name.strip()) and re.search(rf"(?<![\w]){re.escape(name.strip())}(?![\w])", sentence, re.I) is not None


@dataclass
class BodyCheck:
    body: str
    dropped_numbers: int = 0
    dropped_names: int = 0
    dropped_competition: int = 0
    dropped_unfinished: int = 0
    names: list[str] = field(default_factory=list)


def check_body(summary: str, facts: ReportFacts, texts: list[str], known_names: list[str],
               competitors: list[str], kept_competitors: list[str]) -> BodyCheck:
    """The model's summary sentences that pass: no invented number, no name absent from the texts, and a
    sentence on competitors (the word, or a tracked competitor's name) only when it names a competitor whose
    claim survived its evidence check; never a sentence the model did not finish (cut off by its token limit:
    "The largest negative themes in the feedback are"). At most BODY_SENTENCES."""
    allowed = allowed_numbers(facts, texts)
    known = vocabulary([*texts, *known_names, *(t.label for t in facts.themes)])
    check = BodyCheck(body="")
    kept = []
    for sentence in sentences(summary):
        if not _FINISHED.search(sentence):
            check.dropped_unfinished += 1
            continue
        unknown = unknown_names(sentence, known)  # first: "Nokia 6610" is an invented name before a number
        if unknown:
            check.dropped_names += 1
            check.names.extend(unknown)
            continue
        if invented_numbers(sentence, allowed):
            check.dropped_numbers += 1
            continue
        about_rivals = _COMPETITION.search(sentence) or any(_names(sentence, c) for c in competitors)
        if about_rivals and not any(_names(sentence, c) for c in kept_competitors):
            check.dropped_competition += 1
            continue
        kept.append(sentence)
    check.body = join_sentences(kept[:BODY_SENTENCES])
    return check
